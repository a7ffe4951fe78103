"""A small client of Streamlit's own websocket protocol (no browser), for the proxy test and the load benchmark.

A browser loads the page (and, behind the proxy, gets its route cookie), then opens the websocket
/_stcore/stream and sends BackMsg.rerun_script for a page and query string; the server streams
ForwardMsgs until script_finished. `Session.run()` does the same and returns what it saw.
"""

import asyncio
import contextlib
import time
import urllib.request
from dataclasses import dataclass, field

import websockets
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROUTE_COOKIE = "pcd_route"
RUN_TIMEOUT = 300  # seconds a run may take before it counts as an error


@dataclass
class Run:
    seconds: float
    errors: list[str] = field(default_factory=list)  # exceptions and st.error messages on the page
    texts: list[str] = field(default_factory=list)  # headings, markdown, alerts, "metric label: value"
    elements: int = 0


def route_cookie(base: str) -> str | None:
    """What a browser's first request gets: the proxy's route cookie ("pcd_route=..."), or None (no proxy)."""
    with urllib.request.urlopen(base.rstrip("/") + "/", timeout=30) as answer:
        for header in answer.headers.get_all("Set-Cookie") or []:
            if header.startswith(ROUTE_COOKIE + "="):
                return header.split(";", 1)[0]
    return None


def _read(message: ForwardMsg, run: Run) -> None:
    if message.WhichOneof("type") != "delta" or message.delta.WhichOneof("type") != "new_element":
        return
    element = message.delta.new_element
    kind = element.WhichOneof("type")
    run.elements += 1
    if kind == "exception":
        run.errors.append(f"exception: {element.exception.type}: {element.exception.message}"[:300])
    elif kind == "alert":
        run.texts.append(element.alert.body)
        if element.alert.format == Alert.ERROR:
            run.errors.append(f"error message: {element.alert.body}"[:300])
    elif kind == "heading":
        run.texts.append(element.heading.body)
    elif kind == "markdown":
        run.texts.append(element.markdown.body)
    elif kind == "metric":
        run.texts.append(f"{element.metric.label}: {element.metric.body}")


class Session:
    """One browser tab: `async with Session(base) as s: run = await s.run(page, query)`."""

    def __init__(self, base: str, cookie: str | None = None):
        self.base = base.rstrip("/")
        self.cookie = cookie
        self._socket = None

    async def __aenter__(self) -> "Session":
        headers = {"Cookie": self.cookie} if self.cookie else {}
        url = self.base.replace("http", "ws", 1) + "/_stcore/stream"
        self._socket = await websockets.connect(url, additional_headers=headers, subprotocols=["streamlit"],
                                                max_size=None, open_timeout=60, ping_interval=None)
        return self

    async def __aexit__(self, *exc) -> None:
        with contextlib.suppress(Exception):
            await self._socket.close()

    async def run(self, page: str = "", query: str = "", timeout: float = RUN_TIMEOUT) -> Run:
        """Ask for `page` ("" = the default page) with `query` ("scope=..."); wait for script_finished."""
        message = BackMsg()
        message.rerun_script.query_string = query
        message.rerun_script.page_name = page
        started = time.perf_counter()
        run = Run(0.0)
        await self._socket.send(message.SerializeToString())
        async with asyncio.timeout(timeout):
            while True:
                received = ForwardMsg()
                received.ParseFromString(await self._socket.recv())
                _read(received, run)
                if (received.WhichOneof("type") == "script_finished"
                        and received.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN):
                    break
        run.seconds = time.perf_counter() - started
        return run
