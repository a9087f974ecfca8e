"""A loopback HTTP server that answers as the WhatsApp Cloud API and Twilio's Messages resource do.

Success and error bodies follow the providers' documented shapes. Tests script the answers per
recipient (an error code, an HTTP status, a delay) and read back every request it accepted, which
is how "exactly once" is counted; ``requests`` logs every request it received, accepted or not. The
credentials checks of `resume-sending --probe` (Meta: GET the phone number; Twilio: GET the account) answer
as the providers do, with their error bodies for an expired token or wrong credentials. It listens on
127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field

from aiohttp import web

CLOUD_TOKEN = "test-cloud-token"
PHONE_NUMBER_ID = "1098765432101234"
TWILIO_SID = "AC" + "0" * 32
TWILIO_TOKEN = "test-twilio-token"


@dataclass
class Reply:
    """One scripted answer: HTTP status, provider error code and message, and a delay before it."""

    status: int = 200
    code: int | None = None
    message: str = ""
    delay: float = 0.0


@dataclass
class Accepted:
    provider: str
    recipient: str
    message_id: str
    body: dict
    at: float = field(default_factory=time.monotonic)


@dataclass
class FakeProvider:
    cloud_token: str = CLOUD_TOKEN
    twilio_token: str = TWILIO_TOKEN
    accepted: list[Accepted] = field(default_factory=list)
    # Every request received, in order: (method, path).
    requests: list[tuple[str, str]] = field(default_factory=list)
    attempts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    scripts: dict[str, deque[Reply]] = field(default_factory=lambda: defaultdict(deque))
    default_delay: float = 0.0
    port: int = 0
    # When set, every request is answered with this (a provider-wide outage) instead of its script.
    outage: Reply | None = None

    # ---- scripting -----------------------------------------------------------------------------
    def script(self, recipient: str, *replies: Reply) -> None:
        """Answer the next requests for ``recipient`` (E.164, with +) with these replies, in order."""
        self.scripts[recipient.lstrip("+").removeprefix("whatsapp:")].extend(replies)

    def _next_reply(self, recipient: str) -> Reply:
        if self.outage is not None:
            return self.outage
        queue = self.scripts.get(recipient)
        return queue.popleft() if queue else Reply(delay=self.default_delay)

    # ---- serving -------------------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._log_request])
        app.router.add_post("/{version}/{phone_number_id}/messages", self._cloud_api)
        app.router.add_get("/{version}/{phone_number_id}", self._cloud_phone_number)
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self._twilio)
        app.router.add_get("/2010-04-01/Accounts/{sid}.json", self._twilio_account)
        return app

    @web.middleware
    async def _log_request(self, request: web.Request, handler) -> web.StreamResponse:
        self.requests.append((request.method, request.path))
        return await handler(request)

    async def _cloud_phone_number(self, request: web.Request) -> web.Response:
        """GET /{version}/{phone-number-id}: the phone number's fields, as Graph API answers them."""
        if request.headers.get("Authorization") != f"Bearer {self.cloud_token}":
            return _cloud_error(401, 190, "Error validating access token: Session has expired.", subcode=463)
        number_id = request.match_info["phone_number_id"]
        if number_id != PHONE_NUMBER_ID:
            return _cloud_error(
                400,
                100,
                f"Unsupported get request. Object with ID '{number_id}' does not exist, cannot be loaded due to "
                "missing permissions, or does not support this operation.",
                subcode=33,
            )
        return web.json_response(
            {
                "verified_name": "Sessionkeeper Test",
                "code_verification_status": "VERIFIED",
                "display_phone_number": "+1 555-010-0000",
                "quality_rating": "GREEN",
                "id": PHONE_NUMBER_ID,
            }
        )

    async def _twilio_account(self, request: web.Request) -> web.Response:
        """GET /2010-04-01/Accounts/{sid}.json: the account resource, as Twilio answers it."""
        sid = request.match_info["sid"]
        expected = "Basic " + base64.b64encode(f"{sid}:{self.twilio_token}".encode()).decode()
        if request.headers.get("Authorization") != expected or sid != TWILIO_SID:
            return _twilio_error(401, 20003, "Authenticate")
        return web.json_response(
            {
                "sid": TWILIO_SID,
                "friendly_name": "Sessionkeeper Test",
                "status": "active",
                "type": "Full",
                "uri": f"/2010-04-01/Accounts/{TWILIO_SID}.json",
            }
        )

    async def _cloud_api(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.cloud_token}":
            return _cloud_error(401, 190, "Error validating access token: Session has expired.", subcode=463)
        try:
            body = await request.json()
        except ValueError:
            return _cloud_error(400, 100, "Invalid parameter")
        recipient = str(body.get("to", ""))
        if body.get("messaging_product") != "whatsapp" or not recipient.isdigit():
            return _cloud_error(400, 100, "Invalid parameter")
        if body.get("type") != "template" or not body.get("template", {}).get("name"):
            return _cloud_error(400, 131047, "Re-engagement message: more than 24 hours since the customer replied")
        self.attempts[recipient] += 1
        reply = self._next_reply(recipient)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.code is not None or reply.status >= 300:
            return _cloud_error(reply.status, reply.code or 131000, reply.message or "Something went wrong")
        message_id = "wamid." + base64.b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        self.accepted.append(Accepted("cloud_api", "+" + recipient, message_id, body))
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": recipient, "wa_id": recipient}],
                "messages": [{"id": message_id, "message_status": "accepted"}],
            }
        )

    async def _twilio(self, request: web.Request) -> web.Response:
        expected = "Basic " + base64.b64encode(f"{request.match_info['sid']}:{self.twilio_token}".encode()).decode()
        if request.headers.get("Authorization") != expected or request.match_info["sid"] != TWILIO_SID:
            return _twilio_error(401, 20003, "Authenticate")
        form = dict(await request.post())
        to = str(form.get("To", ""))
        if not to.startswith("whatsapp:+") or not str(form.get("From", "")).startswith("whatsapp:+"):
            return _twilio_error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if "ContentVariables" in form and "ContentSid" not in form:
            return _twilio_error(400, 21654, "ContentSid Required")
        recipient = to.removeprefix("whatsapp:+")
        self.attempts[recipient] += 1
        reply = self._next_reply(recipient)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.code is not None or reply.status >= 300:
            return _twilio_error(reply.status, reply.code or 20500, reply.message or "Internal Server Error")
        sid = "SM" + uuid.uuid4().hex
        self.accepted.append(Accepted("twilio", "+" + recipient, sid, {k: str(v) for k, v in form.items()}))
        return web.json_response(
            {"sid": sid, "status": "queued", "to": to, "from": form["From"], "account_sid": TWILIO_SID}, status=201
        )

    # ---- running in a thread -------------------------------------------------------------------
    def start(self) -> FakeProvider:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        async def serve() -> None:
            await self._listen()
            ready.set()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(serve())
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="fake-provider", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("fake provider did not start")
        return self

    async def _listen(self) -> None:
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    def refuse_connections(self) -> None:
        """Go down: close the listening socket and every open (keep-alive) connection, so that connecting
        to the port is refused until `accept_connections`. Requests being answered finish first."""
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(70)

    def accept_connections(self) -> None:
        """Come back up on the same port, with everything counted so far kept."""
        asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(10)

    def stop(self) -> None:
        async def shutdown() -> None:
            await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cloud_env(self) -> dict[str, str]:
        return {
            "SESSIONKEEPER_SENDER": "cloud_api",
            "WHATSAPP_CLOUD_TOKEN": self.cloud_token,
            "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
            "WHATSAPP_CLOUD_BASE_URL": self.base_url,
        }

    def twilio_env(self) -> dict[str, str]:
        return {
            "SESSIONKEEPER_SENDER": "twilio",
            "WHATSAPP_ACCOUNT_SID": TWILIO_SID,
            "WHATSAPP_AUTH_TOKEN": self.twilio_token,
            "WHATSAPP_FROM_NUMBER": "+14155238886",
            "TWILIO_BASE_URL": self.base_url,
        }


def _cloud_error(status: int, code: int, message: str, subcode: int | None = None) -> web.Response:
    error = {
        "message": f"({'#' + str(code)}) {message}",
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "A" + uuid.uuid4().hex[:22],
    }
    if subcode:
        error["error_subcode"] = subcode
    if code >= 130000:
        error["error_data"] = {"messaging_product": "whatsapp", "details": message}
    return web.json_response({"error": error}, status=status)


def _twilio_error(status: int, code: int, message: str) -> web.Response:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return web.Response(text=json.dumps(body), status=status, content_type="application/json")
