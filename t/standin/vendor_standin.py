#!/usr/bin/python3
"""
vendor_standin.py - a local stand-in for the Vapi REST API and Cal.com API v2.

Used by vapi_pool's TAP tests and benchmarks of the outbound HTTP dispatcher.
It speaks the shapes documented in ../shared/reference/{vapi,calcom}.md (the
examples are copied in t/fixtures/reference/), fails the way the vendors fail
(4xx JSON bodies, 429 with Retry-After, slow answers, connection resets,
requests that are never answered) and records every vendor request it reads so
that tests can assert on headers and bodies.

Two listeners, one per vendor, served by one asyncio event loop (Python 3.11
standard library only):

  Vapi      http://HOST:VAPI_PORT      POST/GET /call, GET /call/{id},
                                       POST /chat, /phone-number[/{id}],
                                       /assistant[/{id}]
  Cal.com   http://HOST:CAL_PORT/v2    GET /v2/slots, POST /v2/bookings,
                                       GET /v2/bookings/{uid},
                                       POST /v2/bookings/{uid}/cancel

Both ports also answer the control API under /__control/ (never recorded):

  POST   /__control/misbehave     add a rule (object) or rules (array)
  GET    /__control/misbehave     list the rules still armed
  DELETE /__control/misbehave     drop every rule
  GET    /__control/requests      recorded requests (?service=&method=&path=&since_seq=)
  GET    /__control/state         calls, chats, numbers, assistants, bookings, ...
  POST   /__control/release       answer the requests a "held" rule holds
  POST   /__control/reset         forget requests, rules and state; restore the
                                  start-up configuration
  POST   /__control/end-call      {"id", "endedReason"?} or {"all": true}; also
                                  "startedAt", "cost", "costs", "artifact",
                                  "analysis" set on the ended call (GET /call/{id})
  POST   /__control/seed-numbers  [{"id"?, "number", "server"?, "name"?, ...}]
  POST   /__control/availability  {"eventTypeId"?, "starts": [...]} or
                                  {"eventTypeId"?, "timeZone", "days", "from",
                                   "to", "step"}, optional "lengthInMinutes", "host"
  POST   /__control/book          pre-book a slot {"eventTypeId", "start", ...}
  GET    /__control/config        the live configuration
  POST   /__control/config        change it {"concurrency_limit", "vapi_key",
                                  "cal_key", "vapi_rate_limit",
                                  "cal_rate_limit", "rate_window"}
  GET    /__control/health        {"ok": true, "vapi", "cal", "pid"}

Usage:
  vendor_standin.py --vapi-port 0 --cal-port 0 --port-file /tmp/ports.json
  (the port file gets one JSON line {"vapi": port, "cal": port, "pid": pid}
  once both ports listen; SIGTERM or SIGINT stops the stand-in cleanly.)
"""

import argparse
import asyncio
import gc
import http
import json
import os
import re
import secrets
import signal
import socket
import string
import struct
import sys
import time
import traceback
import uuid
from bisect import bisect_right
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, unquote, urlsplit
from zoneinfo import ZoneInfo

UTC = timezone.utc
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
HHMM = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")
UID_ALPHABET = string.ascii_letters + string.digits
MAX_HEADER_BYTES = 1 << 20
MAX_BODY_BYTES = 16 << 20
MAX_SLOT_DAYS = 400
GC_FREEZE_EVERY = 20000

VAPI_E164_MESSAGE = ("customer.number must be a valid phone number in the E.164 "
                     "format. Hot tip, you may be missing the country code "
                     "(Eg. US: +1).")
CAL_TAKEN_MESSAGE = "User either already has booking at this time or is not available"
CAL_RANGE_MESSAGE = ('Invalid time range given - check the "start" and "end" '
                     'query parameters.')
CAL_PAST_MESSAGE = "Attempting to book a meeting in the past."
DEFAULT_HOST = {"id": 42, "name": "Dana Lee", "timeZone": "America/Los_Angeles"}
DEFAULT_AVAILABILITY = {"timeZone": "America/Los_Angeles", "days": [1, 2, 3, 4, 5],
                        "from": "09:00", "to": "17:00", "step": 30,
                        "lengthInMinutes": 30}
MODES = ("status", "slow", "reset", "hang", "taken", "held")
RESET = "reset"
HANG = "hang"


# ---------------------------------------------------------------- helpers

def iso_utc(dt):
    """An aware datetime as Vapi/Cal.com write UTC: 2026-11-24T17:00:00.000Z."""
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (dt.microsecond // 1000)


def iso_local(dt, zone_name):
    """An aware datetime written in zone_name the way luxon's toISO() does:
    milliseconds and a +HH:MM offset (Z for UTC itself)."""
    if zone_name in ("UTC", "Etc/UTC", "utc", "Z"):
        return iso_utc(dt)
    local = dt.astimezone(ZoneInfo(zone_name))
    offset = local.utcoffset()
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return (local.strftime("%Y-%m-%dT%H:%M:%S.") + "%03d" % (local.microsecond // 1000)
            + "%s%02d:%02d" % (sign, minutes // 60, minutes % 60))


def now_utc():
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


def parse_instant(text):
    """An ISO 8601 string (offset or Z; naive counts as UTC) as an aware UTC
    datetime, or None when it does not parse."""
    if not isinstance(text, str) or not text:
        return None
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def load_zone(name):
    """ZoneInfo for an IANA name, or None if there is no such zone."""
    if not isinstance(name, str) or not name or ".." in name or name.startswith("/"):
        return None
    try:
        return ZoneInfo(name)
    except (ValueError, OSError, KeyError):
        return None


def new_uid():
    """A Cal.com-like booking uid: 22 random letters and digits."""
    return "".join(secrets.choice(UID_ALPHABET) for _ in range(22))


def json_bytes(obj):
    """Compact UTF-8 JSON, as the vendors send it."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def is_int(value):
    """True for a JSON integer (not a boolean)."""
    return isinstance(value, int) and not isinstance(value, bool)


def path_matches(pattern, path):
    """A rule/filter path: exact, or a prefix when it ends with '*'."""
    if pattern is None or pattern == "*":
        return True
    if pattern.endswith("*"):
        return path.startswith(pattern[:-1])
    return path == pattern


# ---------------------------------------------------------------- HTTP

class Request:
    """One parsed HTTP/1.x request."""
    __slots__ = ("method", "target", "path", "query", "version", "headers",
                 "body", "t", "keep_alive")


class Reply:
    """What to do with a request: answer (status, JSON body, extra headers),
    or reset the connection, or hang."""
    __slots__ = ("status", "body", "headers", "action")

    def __init__(self, status, body=None, headers=None, action=None):
        self.status = status
        self.body = body
        self.headers = headers or []
        self.action = action


class BadRequest(Exception):
    """The bytes on the wire are not an HTTP request we can read."""


async def read_request(reader, writer):
    """Read one request from the connection; None on a clean EOF."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as e:
        if e.partial.strip():
            raise BadRequest("truncated request head")
        return None
    except asyncio.LimitOverrunError:
        raise BadRequest("request head too large")
    lines = head[:-4].decode("latin-1").split("\r\n")
    while lines and lines[0] == "":     # tolerate stray CRLF between requests
        lines.pop(0)
    parts = lines[0].split(" ") if lines else []
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise BadRequest("bad request line")
    req = Request()
    req.method, req.target, req.version = parts
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise BadRequest("bad header line")
        name = name.strip().lower()
        value = value.strip()
        headers[name] = headers[name] + ", " + value if name in headers else value
    req.headers = headers
    split = urlsplit(req.target)
    req.path = unquote(split.path) or "/"
    query = {}
    for k, v in parse_qsl(split.query, keep_blank_values=True):
        if k in query:
            old = query[k]
            query[k] = old + [v] if isinstance(old, list) else [old, v]
        else:
            query[k] = v
    req.query = query
    conn = headers.get("connection", "").lower()
    req.keep_alive = ("close" not in conn) if req.version == "HTTP/1.1" else ("keep-alive" in conn)

    chunked = "chunked" in headers.get("transfer-encoding", "").lower()
    length = headers.get("content-length")
    if not chunked and length is not None:
        if not length.isdigit():
            raise BadRequest("bad Content-Length")
        length = int(length)
        if length > MAX_BODY_BYTES:
            raise BadRequest("body too large")
    if (chunked or length) and headers.get("expect", "").lower() == "100-continue":
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    try:
        if chunked:
            req.body = await read_chunked(reader)
        elif length:
            req.body = await reader.readexactly(length)
        else:
            req.body = b""
    except asyncio.IncompleteReadError:
        raise BadRequest("truncated body")
    req.t = time.time()
    return req


async def read_chunked(reader):
    """Read a Transfer-Encoding: chunked body (and its trailers)."""
    body = bytearray()
    while True:
        line = await reader.readuntil(b"\r\n")
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise BadRequest("bad chunk size")
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass
            return bytes(body)
        body += await reader.readexactly(size)
        if len(body) > MAX_BODY_BYTES:
            raise BadRequest("body too large")
        if await reader.readexactly(2) != b"\r\n":
            raise BadRequest("bad chunk terminator")


def reason_phrase(status):
    """The standard reason phrase of a status code ('' if unknown)."""
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def encode_reply(reply, keep_alive):
    """Status line, headers and body of an answer, as bytes."""
    body = reply.body
    if body is None:
        payload = b""
    elif isinstance(body, (bytes, bytearray)):
        payload = bytes(body)
    elif isinstance(body, str):
        payload = body.encode("utf-8")
    else:
        payload = json_bytes(body)
    ctype = ("text/plain; charset=utf-8" if isinstance(body, (str, bytes, bytearray))
             else "application/json; charset=utf-8")
    head = ["HTTP/1.1 %d %s" % (reply.status, reason_phrase(reply.status)),
            "Content-Type: " + ctype,
            "Content-Length: %d" % len(payload)]
    for name, value in reply.headers:
        head.append("%s: %s" % (name, value))
    if not keep_alive:
        head.append("Connection: close")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + payload


def decode_body(raw):
    """A request body as JSON when it parses, else raw text, None when empty."""
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


# ---------------------------------------------------------------- answers

def vapi_error(status, message, error=None, **extra):
    """A Vapi (NestJS) error answer: {"message", "error", "statusCode"}."""
    body = {"message": message, "error": error or reason_phrase(status), "statusCode": status}
    body.update(extra)
    return Reply(status, body)


def vapi_bad_request(messages):
    """Vapi's validation answer: 400 with the message array."""
    return vapi_error(400, list(messages), "Bad Request")


def cal_error(status, code, message):
    """A Cal.com v2 error answer: {"status": "error", "error": {code, message}}."""
    return Reply(status, {"status": "error", "error": {"code": code, "message": message}})


def cal_taken():
    """Cal.com's answer for a slot that is taken or outside availability
    (examples/calcom-booking.answer-taken.json)."""
    return cal_error(400, "BadRequestException", CAL_TAKEN_MESSAGE)


def control_error(status, message):
    """A control API error."""
    return Reply(status, {"error": message})


# ---------------------------------------------------------------- the stand-in

class StandIn:
    """Vendor state, recorded requests, misbehaviour rules and the handlers."""

    def __init__(self, args):
        self.args = args
        self.seq = 0
        self.log_file = open(args.log, "a", encoding="utf-8") if args.log else None
        self.ports = {}
        self.org_id = str(uuid.uuid4())
        self.reset_all()

    # ---- state

    def startup_config(self):
        """The configuration given on the command line."""
        return {"concurrency_limit": self.args.concurrency_limit,
                "vapi_key": self.args.vapi_key, "cal_key": self.args.cal_key,
                "vapi_rate_limit": self.args.vapi_rate_limit,
                "cal_rate_limit": self.args.cal_rate_limit,
                "rate_window": self.args.rate_window}

    def reset_all(self):
        """Forget every request, rule and piece of vendor state."""
        self.records = []
        self.rules = []
        self.rule_id = 0
        release = getattr(self, "release_event", None)
        if release is not None:
            release.set()           # nothing stays held across a reset
        self.release_event = None
        self.config = self.startup_config()
        self.rate = {"vapi": [0.0, 0], "cal": [0.0, 0]}
        self.calls = {}
        self.active_calls = set()
        self.chats = {}
        self.numbers = {}
        self.number_serial = {}
        self.assistants = {}
        self.bookings = {}
        self.accepted = {}
        self.booking_id = 0
        self.availability = {}

    def record(self, service, req):
        """Remember a vendor request (status filled in when answered)."""
        self.seq += 1
        rec = {"seq": self.seq, "t": req.t, "service": service, "method": req.method,
               "path": req.path, "query": req.query, "headers": req.headers,
               "body": decode_body(req.body), "status": None}
        self.records.append(rec)
        if self.seq % GC_FREEZE_EVERY == 0:
            # Recorded requests and calls live until reset: move them out of
            # the collector's sight so full collections stay short.
            gc.freeze()
        limit = self.args.max_records
        if limit and len(self.records) > limit + limit // 10:
            del self.records[:len(self.records) - limit]
        return rec

    def finish_record(self, rec, status):
        """Set the answered status of a record and append it to --log."""
        rec["status"] = status
        if self.log_file:
            self.log_file.write(json.dumps(rec, ensure_ascii=False) + "\n")
            self.log_file.flush()

    def close(self):
        """Flush and close the log."""
        if self.log_file:
            self.log_file.flush()
            self.log_file.close()
            self.log_file = None

    # ---- dispatch

    async def vendor(self, service, req, rec):
        """Answer a vendor request: misbehaviour rules first, then auth, the
        rate limit and the route."""
        body = rec["body"]
        rule = self.take_rule(service, req)
        if rule:
            mode = rule["mode"]
            if mode == "held":
                # held until POST /__control/release (or "delay" seconds, 60
                # by default): a test decides when the answer comes, not a clock
                if self.release_event is None:
                    self.release_event = asyncio.Event()
                try:
                    await asyncio.wait_for(self.release_event.wait(), rule["delay"] or 60)
                except asyncio.TimeoutError:
                    pass
            elif rule["delay"] > 0:
                await asyncio.sleep(rule["delay"])
            if mode == RESET:
                return Reply(None, action=RESET)
            if mode == HANG:
                return Reply(None, action=HANG)
            if mode == "taken":
                return cal_taken()
            if mode == "status":
                return self.rule_reply(service, rule)
            # slow: answer normally after the delay
        denied = self.check_auth(service, req)
        if denied:
            return denied
        limited = self.check_rate(service)
        if limited and limited.status == 429:
            return limited
        if service == "vapi":
            reply = self.route_vapi(req, body)
        else:
            reply = self.route_cal(req, body)
        if limited:
            reply.headers.extend(limited.headers)
        return reply

    def take_rule(self, service, req):
        """The first armed rule matching this request, consumed by one."""
        if not self.rules:
            return None
        cal_path = req.path[3:] if service == "cal" and req.path.startswith("/v2/") else None
        for rule in self.rules:
            if rule["service"] and rule["service"] != service:
                continue
            if rule["method"] and rule["method"] != req.method:
                continue
            if not (path_matches(rule["path"], req.path)
                    or (cal_path is not None and path_matches(rule["path"], cal_path))):
                continue
            if rule["mode"] == "taken" and not (
                    service == "cal" and req.method == "POST"
                    and req.path.rstrip("/") == "/v2/bookings"):
                continue
            if rule["count"] > 0:
                rule["count"] -= 1
                if rule["count"] == 0:
                    self.rules.remove(rule)
            rule["used"] += 1
            return rule
        return None

    def rule_reply(self, service, rule):
        """The answer of a 'status' rule: its status, body and headers."""
        status = rule["status"]
        body = rule["body"]
        if body is None:
            if status == 429:
                body = {"message": "Too Many Requests", "statusCode": 429}
            elif status == 500:
                body = {"message": "Internal server error", "statusCode": 500}
            else:
                body = {"message": reason_phrase(status) or "Error", "statusCode": status}
        headers = [(k, str(v)) for k, v in rule["headers"].items()]
        if rule["retry_after"] is not None:
            headers.append(("Retry-After", rule["retry_after"]))
        if status == 429 and service == "cal" and not any(
                k.lower() == "x-ratelimit-remaining-default" for k, _ in headers):
            headers.append(("X-RateLimit-Remaining-Default", "0"))
            headers.append(("X-RateLimit-Reset-Default", rule["retry_after"] or "60"))
        return Reply(status, body, headers)

    def check_auth(self, service, req):
        """401 when a key is configured and the request does not carry it."""
        key = self.config["vapi_key" if service == "vapi" else "cal_key"]
        if not key:
            return None
        auth = req.headers.get("authorization", "")
        if auth == "Bearer " + key:
            return None
        if service == "vapi":
            return vapi_error(401, "Invalid Key. Hot tip, you may be using the private "
                              "key instead of the public key, or vice versa.", "Unauthorized")
        return cal_error(401, "UnauthorizedException", "ApiAuthGuard - Invalid API Key")

    def check_rate(self, service):
        """Fixed-window rate limit per service (off when the limit is 0): a 429
        answer beyond the limit, else the rate headers to add, else None."""
        limit = self.config[service + "_rate_limit"]
        if not limit:
            return None
        window = self.config["rate_window"] or 60
        now = time.monotonic()
        state = self.rate[service]
        if now - state[0] >= window:
            state[0], state[1] = now, 0
        state[1] += 1
        reset = max(1, int(state[0] + window - now + 0.999))
        remaining = max(0, limit - state[1])
        headers = [("X-RateLimit-Limit-Default", str(limit)),
                   ("X-RateLimit-Remaining-Default", str(remaining)),
                   ("X-RateLimit-Reset-Default", str(reset))]
        if state[1] <= limit:
            return Reply(200, None, headers)
        headers.append(("Retry-After", str(reset)))
        if service == "vapi":
            return Reply(429, {"message": "Too Many Requests", "statusCode": 429}, headers)
        return Reply(429, {"status": "error", "error": {
            "code": "ThrottlerException", "message": "ThrottlerException: Too Many Requests"}},
            headers)

    # ---- Vapi

    def route_vapi(self, req, body):
        """Route a Vapi request by method and path."""
        parts = [p for p in req.path.split("/") if p]
        m = req.method
        if len(parts) in (1, 2):
            res = parts[0]
            ident = parts[1] if len(parts) == 2 else None
            if res == "call":
                if ident is None and m == "POST":
                    return self.create_call(body)
                if ident is None and m == "GET":
                    return self.list_calls(req.query)
                if ident is not None and m == "GET":
                    call = self.calls.get(ident)
                    return Reply(200, call) if call else vapi_error(404, "Couldn't Find Call")
            elif res == "chat":
                if ident is None and m == "POST":
                    return self.create_chat(body)
                if ident is None and m == "GET":
                    return Reply(200, self.newest_first(self.chats.values(), req.query))
                if ident is not None and m == "GET":
                    chat = self.chats.get(ident)
                    return Reply(200, chat) if chat else vapi_error(404, "Couldn't Find Chat")
            elif res == "phone-number":
                if ident is None and m == "POST":
                    return self.buy_number(body)
                if ident is None and m == "GET":
                    return Reply(200, self.newest_first(self.numbers.values(), req.query))
                if ident is not None:
                    return self.one_resource(m, ident, body, self.numbers, "Phone Number")
            elif res == "assistant":
                if ident is None and m == "POST":
                    return self.create_assistant(body)
                if ident is None and m == "GET":
                    return Reply(200, self.newest_first(self.assistants.values(), req.query))
                if ident is not None:
                    return self.one_resource(m, ident, body, self.assistants, "Assistant")
        return vapi_error(404, "Cannot %s %s" % (m, req.path))

    def newest_first(self, items, query):
        """Items newest first, cut to ?limit= (default 100)."""
        limit = self.limit_param(query)
        out = []
        for item in reversed(list(items)):
            if len(out) >= limit:
                break
            out.append(item)
        return out

    @staticmethod
    def limit_param(query):
        """The ?limit= of a list request (default 100, at most 1000)."""
        try:
            return max(0, min(1000, int(query.get("limit", 100))))
        except (TypeError, ValueError):
            return 100

    def subscription_limits(self):
        """Vapi's subscriptionLimits: the configured limit (10, Vapi's default,
        is shown when unlimited) and what remains of it."""
        limit = self.config["concurrency_limit"] or 0
        shown = limit if limit > 0 else 10
        active = len(self.active_calls)
        return {"concurrencyBlocked": bool(limit > 0 and active >= limit),
                "concurrencyLimit": shown,
                "remainingConcurrentCalls": max(0, shown - active)}

    def create_call(self, body):
        """POST /call: validate, apply the concurrency limit, queue the call."""
        if not isinstance(body, dict):
            return vapi_bad_request(["body must be a JSON object"])
        errors = []
        if "assistantId" in body and not isinstance(body["assistantId"], str):
            errors.append("assistantId must be a string")
        if "assistant" in body and not isinstance(body["assistant"], dict):
            errors.append("assistant must be an object")
        if not body.get("assistantId") and not isinstance(body.get("assistant"), dict):
            errors.append("Need Either `assistantId` Or `assistant`.")
        if not isinstance(body.get("phoneNumberId"), str) or not body["phoneNumberId"]:
            errors.append("phoneNumberId must be a string")
        customer = body.get("customer")
        if not isinstance(customer, dict):
            errors.append("customer must be an object")
            errors.append(VAPI_E164_MESSAGE)
        elif not isinstance(customer.get("number"), str) or not E164.match(customer["number"]):
            errors.append(VAPI_E164_MESSAGE)
        if errors:
            return vapi_bad_request(errors)
        limit = self.config["concurrency_limit"] or 0
        if limit > 0 and len(self.active_calls) >= limit:
            return vapi_error(
                400, "Over Concurrency Limit. Your concurrency limit of %d calls has been "
                "reached. Upgrade your plan or end active calls (concurrency limit)." % limit,
                "Bad Request",
                subscriptionLimits={"concurrencyBlocked": True, "concurrencyLimit": limit,
                                    "remainingConcurrentCalls": 0})
        stamp = iso_utc(now_utc())
        call = dict(body)
        call.update({"id": str(uuid.uuid4()), "orgId": self.org_id, "type": "outboundPhoneCall",
                     "status": "queued", "createdAt": stamp, "updatedAt": stamp})
        self.calls[call["id"]] = call
        self.active_calls.add(call["id"])
        answer = dict(call)
        answer["subscriptionLimits"] = self.subscription_limits()
        return Reply(201, answer)

    def list_calls(self, query):
        """GET /call with Vapi's filters, newest first."""
        bounds = []
        errors = []
        for name, test in (("createdAtGt", lambda a, b: a > b), ("createdAtGe", lambda a, b: a >= b),
                           ("createdAtLt", lambda a, b: a < b), ("createdAtLe", lambda a, b: a <= b)):
            if name in query:
                value = parse_instant(query[name])
                if value is None:
                    errors.append("%s must be a valid ISO 8601 date string" % name)
                else:
                    bounds.append((test, value))
        if errors:
            return vapi_bad_request(errors)
        equal = [(k, query[k]) for k in ("id", "assistantId", "phoneNumberId") if k in query]
        limit = self.limit_param(query)
        out = []
        for call in reversed(list(self.calls.values())):
            if len(out) >= limit:
                break
            if any(call.get(k) != v for k, v in equal):
                continue
            if bounds:
                created = parse_instant(call["createdAt"])
                if not all(test(created, value) for test, value in bounds):
                    continue
            out.append(call)
        return Reply(200, out)

    def create_chat(self, body):
        """POST /chat: an SMS through a twilio.sms transport."""
        if not isinstance(body, dict):
            return vapi_bad_request(["body must be a JSON object"])
        errors = []
        if body.get("input") in (None, "", []):
            errors.append("input must be a string or an array of messages")
        if not body.get("assistantId") and not isinstance(body.get("assistant"), dict):
            errors.append("Need Either `assistantId` Or `assistant`.")
        transport = body.get("transport")
        if transport is not None:
            if not isinstance(transport, dict) or transport.get("type") != "twilio.sms":
                errors.append("transport.type must be one of the following values: twilio.sms")
            else:
                if not isinstance(transport.get("phoneNumberId"), str) or not transport["phoneNumberId"]:
                    errors.append("transport.phoneNumberId must be a string")
                customer = transport.get("customer")
                number = customer.get("number") if isinstance(customer, dict) else None
                if not isinstance(number, str) or not E164.match(number):
                    errors.append("transport.customer.number must be a valid phone number in "
                                  "the E.164 format. Hot tip, you may be missing the country "
                                  "code (Eg. US: +1).")
        if errors:
            return vapi_bad_request(errors)
        stamp = iso_utc(now_utc())
        user_input = body["input"]
        text = user_input if isinstance(user_input, str) else json.dumps(user_input)
        chat = dict(body)
        chat.update({"id": str(uuid.uuid4()), "orgId": self.org_id,
                     "messages": [{"role": "user", "content": text}],
                     "output": [{"role": "assistant",
                                 "content": "Stand-in reply to: " + text[:200]}],
                     "createdAt": stamp, "updatedAt": stamp})
        self.chats[chat["id"]] = chat
        return Reply(201, chat)

    def number_object(self, number, provider="vapi", ident=None, name=None, server=None,
                      assistant_id=None, extra=None):
        """A Vapi PhoneNumber object."""
        stamp = iso_utc(now_utc())
        obj = {"id": ident or str(uuid.uuid4()), "orgId": self.org_id, "number": number,
               "provider": provider, "assistantId": assistant_id, "name": name,
               "status": "active", "createdAt": stamp, "updatedAt": stamp}
        if server is not None:
            obj["server"] = server
        if extra:
            for k, v in extra.items():
                obj.setdefault(k, v)
        return obj

    def buy_number(self, body):
        """POST /phone-number: buy a Vapi number in an area code, or import
        a number of another provider."""
        if not isinstance(body, dict):
            return vapi_bad_request(["body must be a JSON object"])
        provider = body.get("provider")
        server = body.get("server")
        if server is not None and not isinstance(server, dict):
            return vapi_bad_request(["server must be an object"])
        if provider == "vapi":
            area = body.get("numberDesiredAreaCode")
            if not isinstance(area, str) or not re.fullmatch(r"\d{3}", area):
                return vapi_bad_request(["numberDesiredAreaCode must be a 3-digit area code"])
            number = self.free_number(area)
            if number is None:
                return vapi_error(400, "No numbers available in area code %s" % area, "Bad Request")
        elif provider in ("twilio", "vonage", "telnyx", "byo-phone-number"):
            number = body.get("number")
            if not isinstance(number, str) or not E164.match(number):
                return vapi_bad_request(["number must be a valid phone number in the E.164 format"])
        else:
            return vapi_bad_request(["provider must be one of the following values: "
                                     "byo-phone-number, twilio, vonage, vapi, telnyx"])
        extra = {k: v for k, v in body.items()
                 if k not in ("provider", "server", "name", "assistantId", "number")}
        obj = self.number_object(number, provider, name=body.get("name"), server=server,
                                 assistant_id=body.get("assistantId"), extra=extra)
        self.numbers[obj["id"]] = obj
        return Reply(201, obj)

    def free_number(self, area):
        """The next unused +1<area>555xxxx number, or None when all are taken."""
        used = {n["number"] for n in self.numbers.values()}
        serial = self.number_serial.get(area, 100)
        for _ in range(10000):
            candidate = "+1%s555%04d" % (area, serial % 10000)
            serial += 1
            if candidate not in used:
                self.number_serial[area] = serial
                return candidate
        return None

    def create_assistant(self, body):
        """POST /assistant: store the definition with an id."""
        if not isinstance(body, dict):
            return vapi_bad_request(["body must be a JSON object"])
        stamp = iso_utc(now_utc())
        obj = dict(body)
        obj.update({"id": str(uuid.uuid4()), "orgId": self.org_id,
                    "createdAt": stamp, "updatedAt": stamp})
        self.assistants[obj["id"]] = obj
        return Reply(201, obj)

    def one_resource(self, method, ident, body, table, label):
        """GET, PATCH (merge top-level keys; server is merged too) or DELETE
        one phone number or assistant."""
        obj = table.get(ident)
        if obj is None:
            return vapi_error(404, "Couldn't Find %s" % label)
        if method == "GET":
            return Reply(200, obj)
        if method == "DELETE":
            del table[ident]
            return Reply(200, obj)
        if method != "PATCH":
            return vapi_error(404, "Cannot %s /%s" % (method, ident))
        if not isinstance(body, dict):
            return vapi_bad_request(["body must be a JSON object"])
        for key, value in body.items():
            if key in ("id", "orgId", "createdAt", "updatedAt", "number", "provider"):
                continue
            if key == "server" and table is self.numbers:
                if value is None:
                    obj.pop("server", None)
                elif isinstance(value, dict):
                    merged = dict(obj.get("server") or {})
                    merged.update(value)
                    obj["server"] = merged
                else:
                    return vapi_bad_request(["server must be an object"])
                continue
            obj[key] = value
        obj["updatedAt"] = iso_utc(now_utc())
        return Reply(200, obj)

    # ---- Cal.com

    def route_cal(self, req, body):
        """Route a Cal.com v2 request by method and path."""
        parts = [p for p in req.path.split("/") if p]
        m = req.method
        if parts[:1] == ["v2"]:
            parts = parts[1:]
            if parts == ["slots"] and m == "GET":
                return self.get_slots(req.query)
            if parts == ["bookings"] and m == "POST":
                return self.create_booking(body)
            if len(parts) == 2 and parts[0] == "bookings" and m == "GET":
                booking = self.bookings.get(parts[1])
                if booking:
                    return Reply(200, {"status": "success", "data": booking})
                return cal_error(404, "NotFoundException",
                                 "Booking with uid=%s was not found in the database" % parts[1])
            if len(parts) == 3 and parts[0] == "bookings" and parts[2] == "cancel" and m == "POST":
                return self.cancel_booking(parts[1], body)
        return cal_error(404, "NotFoundException", "Cannot %s %s" % (m, req.path))

    def event_key(self, source):
        """The event type a query/body names: an int id, or "username/slug"."""
        ident = source.get("eventTypeId")
        if is_int(ident):
            return ident
        if isinstance(ident, str) and ident.isdigit():
            return int(ident)
        slug, user = source.get("eventTypeSlug"), source.get("username")
        if isinstance(slug, str) and slug and isinstance(user, str) and user:
            return "%s/%s" % (user, slug)
        return None

    def event_config(self, key):
        """Availability of an event type (its own, else the default)."""
        return self.availability.get(key) or self.availability.get(None) or DEFAULT_AVAILABILITY

    def candidate_starts(self, key, lo, hi):
        """Available slot starts (UTC) of an event type in [lo, hi], before
        removing booked and past ones."""
        cfg = self.event_config(key)
        if "starts" in cfg:
            return [s for s in cfg["starts"] if lo <= s <= hi]
        zone = ZoneInfo(cfg["timeZone"])
        fh, fm = map(int, cfg["from"].split(":"))
        th, tm = map(int, cfg["to"].split(":"))
        first, last = fh * 60 + fm, th * 60 + tm
        length = cfg["lengthInMinutes"]
        day = lo.astimezone(zone).date() - timedelta(days=1)
        end_day = min(hi.astimezone(zone).date() + timedelta(days=1),
                      day + timedelta(days=MAX_SLOT_DAYS))
        out = []
        while day <= end_day:
            if day.isoweekday() in cfg["days"]:
                minute = first
                while minute + length <= last:
                    local = datetime(day.year, day.month, day.day, minute // 60, minute % 60,
                                     tzinfo=zone)
                    start = local.astimezone(UTC)
                    if lo <= start <= hi:
                        out.append(start)
                    minute += cfg["step"]
            day += timedelta(days=1)
        return out

    def in_availability(self, key, start):
        """True when start is one of the event type's slot starts."""
        return start in self.candidate_starts(key, start, start)

    def booked_overlaps(self, key, start, end, intervals=None):
        """True when an accepted booking of this event type overlaps
        [start, end); intervals narrows the search to a pre-filtered list."""
        if intervals is None:
            intervals = self.accepted.get(key, {}).values()
        for b_start, b_end in intervals:
            if b_start < end and start < b_end:
                return True
        return False

    def get_slots(self, query):
        """GET /v2/slots: free slot starts grouped by local date in timeZone."""
        key = self.event_key(query)
        if key is None:
            return cal_error(400, "BadRequestException",
                             "eventTypeId or eventTypeSlug and username are required")
        start_text, end_text = query.get("start"), query.get("end")
        lo = parse_instant(start_text) if isinstance(start_text, str) else None
        hi = parse_instant(end_text) if isinstance(end_text, str) else None
        if lo is None or hi is None:
            return cal_error(400, "BadRequestException", CAL_RANGE_MESSAGE)
        if (hi.hour, hi.minute, hi.second, hi.microsecond) == (0, 0, 0, 0):
            hi = hi.replace(hour=23, minute=59, second=59)   # as Cal.com adjusts a bare end date
        if hi < lo:
            return cal_error(400, "BadRequestException", CAL_RANGE_MESSAGE)
        zone_name = query.get("timeZone") or "UTC"
        if not isinstance(zone_name, str) or load_zone(zone_name) is None:
            return cal_error(400, "BadRequestException", "Invalid time zone: %s" % zone_name)
        length = self.event_config(key)["lengthInMinutes"]
        if "duration" in query:
            try:
                length = max(1, int(query["duration"]))
            except (TypeError, ValueError):
                return cal_error(400, "BadRequestException", "duration must be an integer")
        ranged = query.get("format") == "range"
        now = now_utc()
        reach = timedelta(minutes=length)
        near = [(s, e) for s, e in self.accepted.get(key, {}).values()
                if s < hi + reach and lo < e]
        data = {}
        for start in self.candidate_starts(key, lo, hi):
            end = start + reach
            if start < now or self.booked_overlaps(key, start, end, near):
                continue
            text = iso_local(start, zone_name)
            slot = {"start": text}
            if ranged:
                slot["end"] = iso_local(end, zone_name)
            data.setdefault(text[:10], []).append(slot)
        return Reply(200, {"status": "success", "data": data})

    def validate_booking(self, body):
        """Cal.com's checks of a booking body; a list of messages."""
        errors = []
        if not isinstance(body.get("start"), str) or parse_instant(body["start"]) is None:
            errors.append("start must be a valid ISO 8601 date string")
        if self.event_key(body) is None:
            errors.append("eventTypeId must be an integer number")
        attendee = body.get("attendee")
        if not isinstance(attendee, dict):
            errors.append("attendee must be an object")
        else:
            if not isinstance(attendee.get("name"), str) or not attendee["name"].strip():
                errors.append("attendee.name must be a string")
            if load_zone(attendee.get("timeZone")) is None:
                errors.append("attendee.timeZone must be a valid IANA time zone")
            email, phone = attendee.get("email"), attendee.get("phoneNumber")
            if email is None and phone is None:
                errors.append("attendee.email or attendee.phoneNumber is required")
            if email is not None and (not isinstance(email, str) or "@" not in email):
                errors.append("attendee.email must be an email")
            if phone is not None and (not isinstance(phone, str) or not E164.match(phone)):
                errors.append("attendee.phoneNumber must be a valid phone number")
        metadata = body.get("metadata")
        if metadata is not None:
            if not isinstance(metadata, dict):
                errors.append("metadata must be an object")
            elif len(metadata) > 50:
                errors.append("metadata must have at most 50 keys")
            else:
                for k, v in metadata.items():
                    if len(k) > 40:
                        errors.append("metadata key %s must be at most 40 characters" % k)
                    if isinstance(v, str) and len(v) > 500:
                        errors.append("metadata value of %s must be at most 500 characters" % k)
                    elif not isinstance(v, (str, int, float, bool)):
                        errors.append("metadata value of %s must be a string, number or boolean" % k)
        length = body.get("lengthInMinutes")
        if length is not None and (not is_int(length) or length <= 0):
            errors.append("lengthInMinutes must be a positive integer")
        return errors

    def new_booking(self, key, start, body, length):
        """Store an accepted booking; returns it."""
        cfg = self.event_config(key)
        host = cfg.get("host") or DEFAULT_HOST
        attendee = dict(body.get("attendee") or {"name": "Stand-in Attendee",
                                                 "timeZone": "UTC"})
        attendee.setdefault("language", "en")
        attendee["absent"] = False
        end = start + timedelta(minutes=length)
        self.booking_id += 1
        stamp = iso_utc(now_utc())
        booking = {
            "id": self.booking_id, "uid": new_uid(),
            "title": "Intro between %s and %s" % (host.get("name"), attendee.get("name")),
            "description": "", "hosts": [host], "status": "accepted",
            "start": iso_utc(start), "end": iso_utc(end), "duration": length,
            "eventTypeId": key if is_int(key) else None,
            "eventType": {"id": key if is_int(key) else None,
                          "slug": key.split("/", 1)[1] if isinstance(key, str) else "intro"},
            "attendees": [attendee], "guests": [], "location": "",
            "absentHost": False, "metadata": body.get("metadata") or {},
            "bookingFieldsResponses": body.get("bookingFieldsResponses") or {},
            "createdAt": stamp, "updatedAt": stamp, "_key": key}
        self.bookings[booking["uid"]] = booking
        self.accepted.setdefault(key, {})[booking["uid"]] = (start, end)
        return booking

    @staticmethod
    def public_booking(booking):
        """A booking without the stand-in's private keys."""
        return {k: v for k, v in booking.items() if not k.startswith("_")}

    def create_booking(self, body):
        """POST /v2/bookings: validate, refuse the past and taken slots, book."""
        if not isinstance(body, dict):
            return cal_error(400, "BadRequestException", "body must be a JSON object")
        errors = self.validate_booking(body)
        if errors:
            return cal_error(400, "BadRequestException", ", ".join(errors))
        key = self.event_key(body)
        start = parse_instant(body["start"])
        if start < now_utc():
            return cal_error(400, "BadRequestException", CAL_PAST_MESSAGE)
        length = body.get("lengthInMinutes") or self.event_config(key)["lengthInMinutes"]
        end = start + timedelta(minutes=length)
        if not self.in_availability(key, start) or self.booked_overlaps(key, start, end):
            return cal_taken()
        booking = self.new_booking(key, start, body, length)
        return Reply(201, {"status": "success", "data": self.public_booking(booking)})

    def cancel_booking(self, uid, body):
        """POST /v2/bookings/{uid}/cancel: the slot becomes free again."""
        booking = self.bookings.get(uid)
        if booking is None:
            return cal_error(404, "NotFoundException",
                             "Booking with uid=%s was not found in the database" % uid)
        if booking["status"] == "cancelled":
            return cal_error(400, "BadRequestException", "This booking has already been cancelled.")
        booking["status"] = "cancelled"
        self.accepted.get(booking["_key"], {}).pop(uid, None)
        reason = body.get("cancellationReason") if isinstance(body, dict) else None
        booking["cancellationReason"] = reason
        booking["updatedAt"] = iso_utc(now_utc())
        return Reply(200, {"status": "success", "data": self.public_booking(booking)})

    # ---- control API

    def control(self, req):
        """Answer a /__control/ request."""
        name = req.path[len("/__control/"):].strip("/")
        m = req.method
        body = decode_body(req.body)
        handler = {
            ("POST", "misbehave"): self.ctl_misbehave,
            ("GET", "misbehave"): lambda r, b: Reply(200, {"rules": self.rules}),
            ("DELETE", "misbehave"): self.ctl_clear_rules,
            ("GET", "requests"): self.ctl_requests,
            ("GET", "state"): self.ctl_state,
            ("POST", "reset"): self.ctl_reset,
            ("POST", "release"): self.ctl_release,
            ("POST", "end-call"): self.ctl_end_call,
            ("POST", "seed-numbers"): self.ctl_seed_numbers,
            ("POST", "availability"): self.ctl_availability,
            ("POST", "book"): self.ctl_book,
            ("GET", "config"): lambda r, b: Reply(200, self.config),
            ("POST", "config"): self.ctl_config,
            ("GET", "health"): lambda r, b: Reply(200, {"ok": True, "pid": os.getpid(),
                                                        **self.ports}),
        }.get((m, name))
        if handler is None:
            return control_error(404, "no control route %s %s" % (m, req.path))
        if m == "POST" and req.body and not isinstance(body, (dict, list)):
            return control_error(400, "control body must be JSON")
        return handler(req, body)

    def ctl_misbehave(self, req, body):
        """Arm one rule or a list of rules."""
        rules = body if isinstance(body, list) else [body]
        armed = []
        for spec in rules:
            if not isinstance(spec, dict):
                return control_error(400, "a rule must be an object")
            mode = spec.get("mode", "status")
            if mode not in MODES:
                return control_error(400, "mode must be one of %s" % ", ".join(MODES))
            service = spec.get("service")
            if service not in (None, "vapi", "cal"):
                return control_error(400, "service must be vapi or cal")
            count = spec.get("count", 1)
            if not is_int(count) or count == 0 or count < -1:
                return control_error(400, "count must be a positive integer or -1")
            status = spec.get("status", 500)
            if not is_int(status) or not 100 <= status <= 599:
                return control_error(400, "status must be an HTTP status code")
            delay = spec.get("delay", 1.0 if mode == "slow" else 0)
            if not isinstance(delay, (int, float)) or isinstance(delay, bool) or delay < 0:
                return control_error(400, "delay must be a number of seconds")
            headers = spec.get("headers") or {}
            if not isinstance(headers, dict):
                return control_error(400, "headers must be an object")
            retry_after = spec.get("retry_after")
            path = spec.get("path")
            if mode == "taken" and path is None:
                path = "/v2/bookings"
            method = spec.get("method")
            self.rule_id += 1
            armed.append({"id": self.rule_id, "service": service,
                          "method": method.upper() if isinstance(method, str) else None,
                          "path": path, "mode": mode, "status": status,
                          "body": spec.get("body"), "headers": headers,
                          "retry_after": None if retry_after is None else str(retry_after),
                          "delay": float(delay), "count": count, "used": 0})
        self.rules.extend(armed)
        return Reply(200, {"armed": armed, "rules": self.rules})

    def ctl_clear_rules(self, req, body):
        """Drop every misbehaviour rule."""
        self.rules = []
        return Reply(200, {"rules": []})

    def ctl_requests(self, req, body):
        """Recorded requests, filtered by service, method, path and since_seq."""
        q = req.query
        records = self.records
        if "since_seq" in q:
            try:
                since = int(q["since_seq"])
            except (TypeError, ValueError):
                return control_error(400, "since_seq must be an integer")
            records = records[bisect_right(records, since, key=lambda r: r["seq"]):]
        service, method, path = q.get("service"), q.get("method"), q.get("path")
        out = [r for r in records
               if (service is None or r["service"] == service)
               and (method is None or r["method"] == method.upper())
               and (path is None or path_matches(path, r["path"]))]
        return Reply(200, out)

    def ctl_state(self, req, body):
        """Every piece of vendor state, for assertions."""
        availability = {}
        for key, cfg in self.availability.items():
            shown = dict(cfg)
            if "starts" in shown:
                shown["starts"] = [iso_utc(s) for s in shown["starts"]]
            availability["default" if key is None else str(key)] = shown
        return Reply(200, {
            "calls": list(self.calls.values()),
            "activeCalls": [c for c in self.calls if c in self.active_calls],
            "chats": list(self.chats.values()),
            "numbers": list(self.numbers.values()),
            "assistants": list(self.assistants.values()),
            "bookings": [self.public_booking(b) for b in self.bookings.values()],
            "availability": availability,
            "rules": self.rules,
            "config": self.config,
            "seq": self.seq})

    def ctl_release(self, req, body):
        """Answer every request a "held" rule is holding."""
        if self.release_event is not None:
            self.release_event.set()
            self.release_event = None
        return Reply(200, {"ok": True})

    def ctl_reset(self, req, body):
        """Forget everything (sequence numbers keep growing)."""
        self.reset_all()
        return Reply(200, {"ok": True, "seq": self.seq})

    def ctl_end_call(self, req, body):
        """End one call ({"id"}) or every active call ({"all": true})."""
        if not isinstance(body, dict):
            return control_error(400, 'body must be {"id": ...} or {"all": true}')
        if body.get("all"):
            ids = [c for c in self.calls if c in self.active_calls]
        elif isinstance(body.get("id"), str):
            if body["id"] not in self.calls:
                return control_error(404, "no call %s" % body["id"])
            ids = [body["id"]] if body["id"] in self.active_calls else []
        else:
            return control_error(400, 'body must be {"id": ...} or {"all": true}')
        stamp = iso_utc(now_utc())
        for ident in ids:
            call = self.calls[ident]
            call.update({"status": "ended", "endedAt": stamp, "updatedAt": stamp,
                         "endedReason": body.get("endedReason", "customer-ended-call")})
            # what Vapi's call object carries once it ended (a lookup reads it)
            call.update({k: body[k] for k in ("startedAt", "cost", "costs", "artifact", "analysis")
                         if k in body})
            self.active_calls.discard(ident)
        return Reply(200, {"ended": ids, "active": len(self.active_calls)})

    def ctl_seed_numbers(self, req, body):
        """Add (or replace, by id) phone numbers."""
        items = body if isinstance(body, list) else [body]
        created = []
        for item in items:
            if isinstance(item, str):
                item = {"number": item}
            if not isinstance(item, dict) or not isinstance(item.get("number"), str) \
                    or not E164.match(item["number"]):
                return control_error(400, "each number needs an E.164 \"number\"")
            extra = {k: v for k, v in item.items()
                     if k not in ("id", "number", "provider", "name", "server", "assistantId")}
            obj = self.number_object(item["number"], item.get("provider", "vapi"),
                                     ident=item.get("id"), name=item.get("name"),
                                     server=item.get("server"),
                                     assistant_id=item.get("assistantId"), extra=extra)
            self.numbers.pop(obj["id"], None)
            self.numbers[obj["id"]] = obj
            created.append(obj)
        return Reply(200, created)

    def ctl_availability(self, req, body):
        """Set an event type's availability (or the default one when
        eventTypeId is absent): explicit UTC starts, or weekly hours."""
        if not isinstance(body, dict):
            return control_error(400, "availability must be an object")
        key = self.event_key(body) if ("eventTypeId" in body or "eventTypeSlug" in body) else None
        if key is None and ("eventTypeId" in body or "eventTypeSlug" in body):
            return control_error(400, "bad eventTypeId")
        base = self.event_config(key)
        length = body.get("lengthInMinutes", base.get("lengthInMinutes", 30))
        if not is_int(length) or length <= 0:
            return control_error(400, "lengthInMinutes must be a positive integer")
        cfg = {"lengthInMinutes": length}
        host = body.get("host", base.get("host"))
        if host is not None:
            if not isinstance(host, dict):
                return control_error(400, "host must be an object")
            cfg["host"] = host
        if "starts" in body:
            if not isinstance(body["starts"], list):
                return control_error(400, "starts must be an array")
            starts = [parse_instant(s) for s in body["starts"]]
            if any(s is None for s in starts):
                return control_error(400, "every start must be an ISO 8601 instant")
            cfg["starts"] = sorted(set(starts))
        else:
            zone = body.get("timeZone", DEFAULT_AVAILABILITY["timeZone"])
            days = body.get("days", DEFAULT_AVAILABILITY["days"])
            start_hm = body.get("from", DEFAULT_AVAILABILITY["from"])
            end_hm = body.get("to", DEFAULT_AVAILABILITY["to"])
            step = body.get("step", DEFAULT_AVAILABILITY["step"])
            if load_zone(zone) is None:
                return control_error(400, "unknown timeZone %s" % zone)
            if not isinstance(days, list) or not all(is_int(d) and 1 <= d <= 7 for d in days):
                return control_error(400, "days must be ISO weekdays 1 (Monday) .. 7 (Sunday)")
            if not all(isinstance(x, str) and HHMM.match(x) for x in (start_hm, end_hm)):
                return control_error(400, "from and to must be HH:MM")
            if not is_int(step) or step <= 0:
                return control_error(400, "step must be a positive number of minutes")
            cfg.update({"timeZone": zone, "days": sorted(set(days)), "from": start_hm,
                        "to": end_hm, "step": step})
        self.availability[key] = cfg
        shown = dict(cfg)
        if "starts" in shown:
            shown["starts"] = [iso_utc(s) for s in shown["starts"]]
        return Reply(200, {"eventTypeId": key, "availability": shown})

    def ctl_book(self, req, body):
        """Pre-book a slot: an accepted booking, no availability or past check."""
        if not isinstance(body, dict):
            return control_error(400, "booking must be an object")
        key = self.event_key(body)
        start = parse_instant(body.get("start"))
        if key is None or start is None:
            return control_error(400, "eventTypeId and an ISO 8601 start are required")
        length = body.get("lengthInMinutes") or self.event_config(key)["lengthInMinutes"]
        booking = self.new_booking(key, start, body, length)
        return Reply(201, self.public_booking(booking))

    def ctl_config(self, req, body):
        """Change the live configuration (keys, limits)."""
        if not isinstance(body, dict):
            return control_error(400, "config must be an object")
        for key, value in body.items():
            if key not in self.config:
                return control_error(400, "unknown config key %s" % key)
            if key in ("vapi_key", "cal_key"):
                if value is not None and not isinstance(value, str):
                    return control_error(400, "%s must be a string or null" % key)
            elif not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                return control_error(400, "%s must be a non-negative number" % key)
            self.config[key] = value
        self.rate = {"vapi": [0.0, 0], "cal": [0.0, 0]}
        return Reply(200, self.config)


# ---------------------------------------------------------------- server

class Server:
    """The two listeners and their connections."""

    def __init__(self, app, args):
        self.app = app
        self.args = args
        self.writers = set()

    async def serve(self, service, reader, writer):
        """Serve one keep-alive connection of a service."""
        self.writers.add(writer)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        try:
            while True:
                try:
                    req = await read_request(reader, writer)
                except BadRequest as e:
                    writer.write(encode_reply(Reply(400, str(e) + "\n"), False))
                    break
                if req is None:
                    break
                control = req.path.startswith("/__control/")
                rec = None if control else self.app.record(service, req)
                try:
                    if control:
                        reply = self.app.control(req)
                    else:
                        reply = await self.app.vendor(service, req, rec)
                except Exception:
                    # a bug of the stand-in: say so on stderr, answer 500
                    traceback.print_exc()
                    reply = Reply(500, {"message": "Internal server error", "statusCode": 500,
                                        "standin": traceback.format_exc(limit=1)})
                if reply.action == RESET:
                    self.app.finish_record(rec, RESET)
                    self.reset(writer)
                    return
                if reply.action == HANG:
                    self.app.finish_record(rec, HANG)
                    await self.hang(reader)
                    break
                if rec is not None:
                    self.app.finish_record(rec, reply.status)
                writer.write(encode_reply(reply, req.keep_alive))
                await writer.drain()
                if not req.keep_alive:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            self.writers.discard(writer)
            if not writer.transport.is_closing():
                writer.close()

    @staticmethod
    def reset(writer):
        """Close the connection abruptly: SO_LINGER 0 makes the kernel send RST."""
        sock = writer.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
        writer.transport.abort()

    @staticmethod
    async def hang(reader):
        """Never answer: wait until the client closes the connection."""
        try:
            while await reader.read(65536):
                pass
        except (ConnectionError, OSError):
            pass

    @staticmethod
    async def watch_pid(pid, stop):
        """Stop when process pid is gone (the test that started us died)."""
        while not stop.is_set():
            await asyncio.sleep(1)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                stop.set()
            except PermissionError:
                pass

    async def run(self):
        """Listen on both ports, write the port file, run until a signal."""
        args = self.args
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        servers = {}
        for service, port in (("vapi", args.vapi_port), ("cal", args.cal_port)):
            servers[service] = await asyncio.start_server(
                lambda r, w, s=service: self.serve(s, r, w), args.host, port,
                limit=MAX_HEADER_BYTES, backlog=1024, reuse_address=True)
            self.app.ports[service] = servers[service].sockets[0].getsockname()[1]
        ports = dict(self.app.ports, pid=os.getpid())
        if args.port_file:
            tmp = "%s.tmp.%d" % (args.port_file, os.getpid())
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(json.dumps(ports) + "\n")
            os.replace(tmp, args.port_file)
        if not args.quiet:
            print("vendor_standin: vapi http://%s:%d cal http://%s:%d/v2 pid %d"
                  % (args.host, ports["vapi"], args.host, ports["cal"], ports["pid"]),
                  file=sys.stderr, flush=True)
        if args.watch_pid:
            watcher = asyncio.create_task(self.watch_pid(args.watch_pid, stop))
        await stop.wait()
        if args.watch_pid:
            watcher.cancel()
        for server in servers.values():
            server.close()
        for writer in list(self.writers):
            writer.transport.abort()
        await asyncio.sleep(0)
        self.app.close()
        if not args.quiet:
            print("vendor_standin: stopped", file=sys.stderr, flush=True)


def parse_args(argv):
    """Command-line options."""
    p = argparse.ArgumentParser(description="Local stand-in for the Vapi and Cal.com APIs.")
    p.add_argument("--vapi-port", type=int, default=0, help="Vapi port (0 = pick a free one)")
    p.add_argument("--cal-port", type=int, default=0, help="Cal.com port (0 = pick a free one)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port-file", help='write {"vapi", "cal", "pid"} here once listening')
    p.add_argument("--vapi-key", help="require Authorization: Bearer KEY on Vapi routes")
    p.add_argument("--cal-key", help="require Authorization: Bearer KEY on Cal.com routes")
    p.add_argument("--log", help="append every recorded request here as a JSON line")
    p.add_argument("--concurrency-limit", type=int, default=0,
                   help="Vapi concurrent-call limit (0 = unlimited)")
    p.add_argument("--vapi-rate-limit", type=int, default=0,
                   help="Vapi requests per window before 429 (0 = off)")
    p.add_argument("--cal-rate-limit", type=int, default=0,
                   help="Cal.com requests per window before 429 (0 = off; Cal.com: 120)")
    p.add_argument("--rate-window", type=float, default=60.0, help="rate window in seconds")
    p.add_argument("--max-records", type=int, default=0,
                   help="keep at most about this many recorded requests (0 = all)")
    p.add_argument("--watch-pid", type=int, default=0,
                   help="exit when this process is gone (the test that started us)")
    p.add_argument("--quiet", action="store_true", help="no start/stop lines on stderr")
    return p.parse_args(argv)


def main(argv=None):
    """Entry point."""
    args = parse_args(argv)
    app = StandIn(args)
    try:
        asyncio.run(Server(app, args).run())
    finally:
        app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
