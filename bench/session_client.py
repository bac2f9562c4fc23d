"""A dashboard session without a browser: Streamlit's websocket protocol spoken directly.

A browser opens ``ws://HOST:PORT/_stcore/stream`` (subprotocol ``streamlit``) and asks for
every script run with a ``rerun_script`` BackMsg: the URL's query string, the page (by its
path on a first load, by its script hash once the app's pages are known) and the values of
the widgets it shows (all of them after a click on one; on a page switch those of the
entry script, here the sidebar's filters, which is how they survive the switch). The
server answers with ForwardMsgs: ``new_session`` when a run starts, a ``delta`` per
element drawn, ``page_info_changed`` when the app rewrites the query string,
``navigation`` with the app's pages, and ``script_finished`` when the run is over. Like a
browser, the client keeps the large elements it received by their hash and lists them with
each rerun, so the server sends a reference (``ref_hash``) instead of an element sent before.
:class:`SessionClient` sends the same messages a browser sends for a user's steps and
times each until the server's ``script_finished``, so a load benchmark can put many such
sessions on a server without paying for a browser each (Streamlit 1.67, Starlette server).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, ClassVar
from urllib.parse import urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.runtime.state.common import is_element_id, user_key_from_element_id
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

STREAM_PATH = "/_stcore/stream"
# What a run that got to its end reports: a compile error ends the run too, but the user
# sees an error instead of the page (FINISHED_EARLY_FOR_RERUN is a run replaced by another).
FINISHED = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR)
# Widgets whose value the browser sends as the label of the chosen option.
OPTION_WIDGETS = ("radio", "selectbox")


def widget_state(kind: str, widget: Any, held: WidgetState | None) -> WidgetState | None:
    """The value a browser holds for a widget just drawn: the value the server set, else
    the one it held already (a widget it showed before), else the widget's default.
    None for a widget whose value a browser does not send back (buttons, charts) or that
    has no value (a select box with nothing chosen)."""
    if held is not None and not getattr(widget, "set_value", False):
        return held
    state = WidgetState(id=widget.id)
    if kind in OPTION_WIDGETS:
        if widget.set_value:
            state.string_value = widget.raw_value
        elif widget.HasField("default"):
            state.string_value = widget.options[widget.default]
        else:
            return None
    elif kind == "multiselect":
        state.string_array_value.data[:] = (
            widget.raw_values if widget.set_value else [widget.options[i] for i in widget.default])
    elif kind == "date_input":
        state.string_array_value.data[:] = widget.value if widget.set_value else widget.default
    elif kind == "number_input":
        if not (widget.set_value or widget.HasField("default")):
            return None
        state.double_value = widget.value if widget.set_value else widget.default
    elif kind == "checkbox":
        state.bool_value = widget.value if widget.set_value else widget.default
    elif kind == "text_input":
        state.string_value = widget.value if widget.set_value else widget.default
    else:
        return None
    return state


@dataclass
class Step:
    """One script run a user asked for, as the server answered it.

    ``seconds`` runs from sending the rerun (for a session's first step, from asking for
    the websocket) until the server's ``script_finished`` (None when the run did not
    finish); ``error`` says why the user would not see the page
    (an exception drawn, a compile error, no finish within the timeout, a lost
    connection), None when they would. ``elements`` are the elements the run drew, in
    order; ``query_string`` and ``page`` (the page's path, "" for the default page) are
    what the browser's address bar shows after it."""

    seconds: float | None = None
    error: str | None = None
    elements: list[Element] = field(default_factory=list)
    query_string: str = ""
    page: str = ""

    def of_type(self, kind: str) -> list[Any]:
        """The drawn elements of one kind (``"metric"``, ``"radio"``, ...), as protos."""
        return [getattr(e, kind) for e in self.elements if e.WhichOneof("type") == kind]


@dataclass
class _Run:
    """The script run being waited for: what it drew and how it ended."""

    elements: list[Element] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)  # what the user would see instead
    status: int | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)


class SessionClient:
    """One user's session with a Streamlit server, over its websocket.

    Use as ``async with SessionClient("http://127.0.0.1:8501") as session:``, then
    :meth:`open` a link, :meth:`choose` an option of a keyed widget, :meth:`switch_page`.
    Each returns a :class:`Step`; a session's steps run one after the other, as a
    user's clicks do, and end with a step that did not finish in time.

    Parameters
    ----------
    url
        The server's address, ``http://host:port`` (a base path is kept).
    """

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.base_path = parts.path.rstrip("/")
        self.stream_url = f"ws://{parts.netloc}{self.base_path}{STREAM_PATH}"
        self.query_string = ""
        self.page_hash = ""  # the script hash of the page shown
        self.pages: dict[str, str] = {}  # url path of each page -> its script hash
        self.widgets: dict[str, Element] = {}  # widget key -> its element, as last drawn
        self._entry_hash = ""  # the script hash of the entry script (the router)
        # The value of each widget shown, and the script that drew it (by widget id).
        self._held: dict[str, tuple[WidgetState, str]] = {}
        self._drawn: list[str] = []  # the widgets of the last run, by id
        self._cached: dict[str, ForwardMsg] = {}  # large elements received, by hash
        self._socket: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._run: _Run | None = None
        self._lost: str | None = None
        self._connecting: float | None = None  # when the websocket was asked for

    async def __aenter__(self) -> SessionClient:
        self._connecting = time.monotonic()
        # no size limit: a page's chart specs can exceed the library's 1 MiB default
        self._socket = await connect(self.stream_url, subprotocols=[Subprotocol("streamlit")],
                                     max_size=None)
        self._reader = asyncio.create_task(self._read(self._socket))
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        await self.close()

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        if self._socket is not None:
            await self._socket.close()

    # -- the steps a user takes ----------------------------------------------------------

    async def open(self, link: str, timeout: float) -> Step:
        """Open ``link`` (a path and query string, e.g. ``/retention?w=90``) as a browser
        does on a fresh page: the page named by the path, the query string as it is. The
        session's first step is timed from asking for the websocket, which a browser's
        first view waits for too."""
        parts = urlsplit(link)
        page_name = parts.path.removeprefix(self.base_path).strip("/")
        return await self._rerun(ClientState(query_string=parts.query, page_name=page_name),
                                 timeout)

    async def choose(self, key: str, option: int, timeout: float) -> Step:
        """Pick option number ``option`` of the radio or select box with widget key
        ``key``, as a click on it does (its label is what the browser sends)."""
        element = self.widgets.get(key)
        kind = element.WhichOneof("type") if element is not None else None
        if element is None or kind not in OPTION_WIDGETS:
            return Step(error=f"no radio or select box with key {key!r} on the page")
        widget = getattr(element, kind)
        chosen = WidgetState(id=widget.id, string_value=widget.options[option])
        script = self._held[widget.id][1] if widget.id in self._held else ""
        self._held[widget.id] = chosen, script
        client_state = ClientState(query_string=self.query_string,
                                   page_script_hash=self.page_hash)
        client_state.widget_states.widgets.extend(self._shown_states())
        return await self._rerun(client_state, timeout)

    async def switch_page(self, page: str, timeout: float) -> Step:
        """Open the page whose path is ``page`` from the navigation, as a click on its
        link does: the browser keeps the query string (no widget of this app is bound to
        it) and names the page by its script hash."""
        if page not in self.pages:
            return Step(error=f"no page {page!r} in the navigation ({', '.join(self.pages)})")
        client_state = ClientState(query_string=self.query_string,
                                   page_script_hash=self.pages[page])
        client_state.widget_states.widgets.extend(self._shown_states(self._entry_hash))
        return await self._rerun(client_state, timeout)

    def _shown_states(self, script: str | None = None) -> list[WidgetState]:
        """The values of the widgets on the page (of those drawn by ``script``)."""
        return [self._held[i][0] for i in self._drawn
                if i in self._held and script in (None, self._held[i][1])]

    # -- one run -------------------------------------------------------------------------

    async def _rerun(self, client_state: ClientState, timeout: float) -> Step:
        if self._socket is None:
            raise RuntimeError("SessionClient is used outside its `async with` block")
        if self._lost is not None:
            return Step(error=self._lost)
        run = self._run = _Run()
        client_state.cached_message_hashes.extend(self._cached)
        started, self._connecting = self._connecting or time.monotonic(), None
        try:
            async with asyncio.timeout(timeout):
                await self._socket.send(BackMsg(rerun_script=client_state).SerializeToString())
                await run.done.wait()
        except TimeoutError:
            # its finish may still come, and would pass for the next step's
            self._lost = "an earlier step of the session did not finish"
            return Step(error=f"not finished within {timeout:.0f} s", elements=run.elements)
        except ConnectionClosed as closed:
            self._lost = f"connection lost: {closed}"
        finally:
            self._run = None
        seconds = time.monotonic() - started
        return Step(seconds=None if run.status is None else seconds,
                    error=self._error(run), elements=run.elements,
                    query_string=self.query_string, page=self._page_path())

    def _error(self, run: _Run) -> str | None:
        if run.status is None:
            return self._lost or "the run did not finish"
        if run.faults:
            return run.faults[0]
        if run.status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
            return "the page's script did not compile"
        return None

    def _page_path(self) -> str:
        return next((path for path, page_hash in self.pages.items()
                     if page_hash == self.page_hash), "")

    # -- what the server sends -----------------------------------------------------------

    async def _read(self, socket: ClientConnection) -> None:
        try:
            async for payload in socket:
                if isinstance(payload, bytes):
                    self._receive(ForwardMsg.FromString(payload))
        except ConnectionClosed as closed:
            self._lost = f"connection lost: {closed}"
        if self._lost is None:
            self._lost = "the server closed the connection"
        if self._run is not None:
            self._run.done.set()

    def _receive(self, message: ForwardMsg) -> None:
        if message.WhichOneof("type") == "ref_hash":  # an element sent before, by its hash
            cached = self._cached.get(message.ref_hash)
            if cached is None:  # never: the server refers only to hashes the client listed
                if self._run is not None:
                    self._run.faults.append(f"an element sent as {message.ref_hash}, unknown")
                return
            cached.metadata.CopyFrom(message.metadata)  # where to draw it, this time
            message = cached
        elif message.metadata.cacheable:
            self._cached[message.hash] = message
        handler = self._HANDLERS.get(message.WhichOneof("type") or "")
        if handler is not None:
            handler(self, message)

    def _new_session(self, message: ForwardMsg) -> None:
        """A run starts (also after a rerun the app asked for): its elements start afresh."""
        self.page_hash = message.new_session.page_script_hash
        self._entry_hash = message.new_session.main_script_hash
        self._drawn = []
        if self._run is not None:
            self._run.elements.clear()
            self._run.faults.clear()

    def _navigation(self, message: ForwardMsg) -> None:
        self.pages = {page.url_pathname: page.page_script_hash
                      for page in message.navigation.app_pages}
        self.page_hash = message.navigation.page_script_hash or self.page_hash

    def _page_info(self, message: ForwardMsg) -> None:
        self.query_string = message.page_info_changed.query_string

    def _delta(self, message: ForwardMsg) -> None:
        delta = message.delta
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind == "exception":
            exception = element.exception
            if self._run is not None:
                # the type is empty when the server redacts the error's details
                shown = ": ".join(t for t in (exception.type, exception.message) if t)
                self._run.faults.append("exception: " + shown[:200])
        if kind is not None:
            self._widget(kind, getattr(element, kind), element,
                         message.metadata.active_script_hash)
        if self._run is not None:
            self._run.elements.append(element)

    def _widget(self, kind: str, widget: Any, element: Element, script: str) -> None:
        """Remember a drawn widget: its value as a browser holds it, and its key."""
        widget_id = getattr(widget, "id", None)
        if not isinstance(widget_id, str) or not is_element_id(widget_id):
            return  # not a widget (elements without an id, or with another kind of id)
        self._drawn.append(widget_id)
        held = self._held.get(widget_id)
        state = widget_state(kind, widget, held[0] if held else None)
        if state is not None:
            self._held[widget_id] = state, script
        key = user_key_from_element_id(widget_id)
        if key is not None:
            self.widgets[key] = element

    def _script_finished(self, message: ForwardMsg) -> None:
        if self._run is not None and message.script_finished in FINISHED:
            self._run.status = message.script_finished
            self._run.done.set()

    _HANDLERS: ClassVar[dict[str, Callable[[SessionClient, ForwardMsg], None]]] = {
        "new_session": _new_session,
        "navigation": _navigation,
        "page_info_changed": _page_info,
        "delta": _delta,
        "script_finished": _script_finished,
    }
