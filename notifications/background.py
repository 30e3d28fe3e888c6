"""The in-process worker used when there is no Redis: the same dispatcher on a daemon thread.

It polls, so retries fall due without anyone asking; `wake()` lets the app ask for a pass
right after it commits a change that enqueued a message.
"""

import logging
import threading

from notifications.dispatcher import Dispatcher

logger = logging.getLogger(__name__)


class BackgroundDispatcher:
    def __init__(self, dispatcher: Dispatcher, poll_seconds: float = 1.0) -> None:
        self.dispatcher = dispatcher
        self.poll_seconds = poll_seconds
        self.woken = threading.Event()
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        if self.thread is not None and self.thread.is_alive():
            return
        self.stopping.clear()
        self.thread = threading.Thread(target=self._run, name="carepath-dispatcher", daemon=True)
        self.thread.start()

    def wake(self) -> None:
        self.woken.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the pass under way (its leases would otherwise delay those messages)."""
        self.stopping.set()
        self.woken.set()
        if self.thread is not None:
            self.thread.join(timeout)

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.dispatcher.run_until_idle()
            except Exception:  # a database hiccup must not end the thread; try again later
                logger.exception("notification dispatch pass failed")
            self.woken.wait(self.poll_seconds)
            self.woken.clear()
