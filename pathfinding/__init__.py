"""Indoor routing for CarePath, as a plain library (no web, no database).

Load a map (CarePath JSON with :func:`load_map`, or an IMDF archive with
:func:`load_imdf`), build a :class:`Router`, then ask it for a :class:`Route` between two
rooms under a profile (``walking``, ``slow``, ``wheelchair``). Closures apply at once via
:meth:`Router.set_closures`; :meth:`Router.walking_matrix` feeds the sequencer;
:func:`floor_svg` draws a floor with the route on it.
"""

from .imdf import check_imdf, load_imdf
from .mapformat import check_map, dump_map, load_map, map_schema
from .model import (
    PROFILES,
    Building,
    Edge,
    EdgeKind,
    Elevator,
    Floor,
    Node,
    NodeKind,
    Profile,
    SiteMap,
    get_profile,
)
from .router import Router
from .routes import Leg, NoRouteError, PathResult, Route, RoutePoint, Step, UnknownPlaceError
from .svg import floor_svg, route_svgs
from .synthetic import synthetic_for_nodes, synthetic_hospital
from .validation import Issue, MapError, MapReport

__all__ = [
    "PROFILES",
    "Building",
    "Edge",
    "EdgeKind",
    "Elevator",
    "Floor",
    "Issue",
    "Leg",
    "MapError",
    "MapReport",
    "Node",
    "NodeKind",
    "NoRouteError",
    "PathResult",
    "Profile",
    "Route",
    "RoutePoint",
    "Router",
    "SiteMap",
    "Step",
    "UnknownPlaceError",
    "check_imdf",
    "check_map",
    "dump_map",
    "floor_svg",
    "get_profile",
    "load_imdf",
    "load_map",
    "map_schema",
    "route_svgs",
    "synthetic_for_nodes",
    "synthetic_hospital",
]
