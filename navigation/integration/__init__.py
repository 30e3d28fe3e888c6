"""The hospital's systems: orders in (FHIR R4 bundles, HL7 v2 messages) and journeys out (FHIR).

The core is plain: a message becomes an `OrderMessage` (visit, patient, orders with the
hospital's codes) whatever the wire format, codes are mapped to catalog exams per site, and one
function applies it to the journey. The web view, the MLLP listener and the pull client are
thin adapters around it.
"""
