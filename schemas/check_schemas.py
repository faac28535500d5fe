#!/usr/bin/env python3
"""Verify schemas/, fixtures/ and the reference server's real output against each other.

Usage (from the repository root):

    pip install jsonschema referencing          # jsonschema >= 4.18
    CARGO_BUILD_JOBS=2 cargo build --release
    python3 schemas/check_schemas.py             # everything
    python3 schemas/check_schemas.py --no-server # schemas, fixtures, samples, negative cases only

Options: --binary PATH (default target/release/gws-conform), --port N (default 18777),
--seed PATH (the seed page; default ../shared/reference/000_d1c10fa4de768763.txt, skipped if
absent), --dump FILE (write every notification received, as JSON Lines
{"user", "channel", "data"}, for inspection), --verbose.

What it checks, in order; it exits 1 if anything is wrong (2 if it cannot run at all):

1. Schemas: every schemas/*.schema.json is valid draft 2020-12 (metaschema), has
   $schema = 2020-12, $id = https://gws-conform.dev/schemas/<file name>, a title and a
   description, and every $ref in it resolves (sibling files are found by $id).
2. Fixtures: each fixtures/*.json is validated against notification.schema.json. Every error
   must be explained by a location in fixtures/errata.json (same fixture, JSON Pointer, keyword
   and value), and every location marked "fails": true must really fail. The two NON-STRICT
   inconsistencies corrected to the table's form (SwitchToBargeIn, AddComment) must then pass.
   With the seed page present, the fixtures are re-derived from it with exactly the four
   documented repairs (E1-E4) and must be equal; the unrepaired values must fail.
3. Documented samples (gws-api-notes.md) must pass; deliberately wrong instances (wrong
   capability in each mode, unknown notificationType/messageType, error body with an extra field,
   message with a string index, ...) must FAIL.
4. Reference server: starts `gws-conform serve --listen 127.0.0.1:PORT --long-poll-timeout 2000`,
   drives it over HTTP (Basic auth; Bayeux handshake/subscribe/connect on /api/v2/notifications;
   StartContactCenterSession/Ready; customer RequestChat with ContactCenterId: default; Accept;
   supervisor Monitor/Coach/BargeIn with every mode switch; messages; user data; Invite, Consult,
   Transfer, Leave, Complete; errors) and validates every request body it sends, every REST
   response (success and error bodies), every Bayeux response and every notification. It also
   checks a few behaviours the schemas cannot express (the supervisor's capability set and
   visibility match the mode it was given; HTTP status agrees with statusCode; the customer never
   receives Agents-only text; message indexes increase; referenceIds echo the requester's
   responses). The server is stopped at the end.
"""

import argparse
import base64
import copy
import glob
import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

try:
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012
except ImportError:  # pragma: no cover
    print("needs: pip install jsonschema referencing", file=sys.stderr)
    sys.exit(2)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FIXTURES = os.path.join(ROOT, "fixtures")
BASE = "https://gws-conform.dev/schemas/"
DRAFT = "https://json-schema.org/draft/2020-12/schema"

PROBLEMS = []
COUNTS = {}
VERBOSE = False


def count(key, n=1):
    COUNTS[key] = COUNTS.get(key, 0) + n


def problem(msg):
    PROBLEMS.append(msg)
    print("PROBLEM:", msg)


def info(msg):
    if VERBOSE:
        print("  ", msg)


def pointer(path):
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


# ------------------------------------------------------------------------------------ schemas
def load_schemas():
    schemas = {}
    for path in sorted(glob.glob(os.path.join(HERE, "*.schema.json"))):
        name = os.path.basename(path)
        try:
            with open(path, encoding="utf-8") as f:
                schemas[name] = json.load(f)
        except ValueError as e:
            problem(f"{name}: not JSON: {e}")
    return schemas


def check_schema_files(schemas):
    for name, s in schemas.items():
        count("schemas checked")
        try:
            Draft202012Validator.check_schema(s)
        except Exception as e:  # noqa: BLE001
            problem(f"{name}: invalid 2020-12 schema: {e}")
        if s.get("$schema") != DRAFT:
            problem(f"{name}: $schema is not {DRAFT}")
        if s.get("$id") != BASE + name:
            problem(f"{name}: $id is {s.get('$id')!r}, expected {BASE + name}")
        for key in ("title", "description"):
            if not isinstance(s.get(key), str) or not s[key]:
                problem(f"{name}: missing {key}")
    registry = Registry().with_resources(
        (s["$id"], Resource.from_contents(s, default_specification=DRAFT202012)) for s in schemas.values()
    )
    # every $ref resolves
    for name, s in schemas.items():
        resolver = registry.resolver(base_uri=s["$id"])

        def walk(node, where):
            if isinstance(node, dict):
                ref = node.get("$ref")
                if isinstance(ref, str):
                    try:
                        resolver.lookup(ref)
                        count("$refs resolved")
                    except Exception as e:  # noqa: BLE001
                        problem(f"{name}: $ref {ref!r} at {where} does not resolve: {e}")
                for k, v in node.items():
                    walk(v, f"{where}/{k}")
            elif isinstance(node, list):
                for i, v in enumerate(node):
                    walk(v, f"{where}/{i}")

        walk(s, "")
    return registry


class Validators:
    def __init__(self, registry):
        self.registry = registry
        self.cache = {}

    def get(self, name):
        if name not in self.cache:
            self.cache[name] = Draft202012Validator({"$ref": BASE + name}, registry=self.registry)
        return self.cache[name]

    def errors(self, name, instance):
        return sorted(self.get(name).iter_errors(instance), key=lambda e: (list(e.absolute_path), e.validator))

    def check(self, name, instance, what):
        """Instance must be valid; returns True when it is."""
        count(f"valid: {name}")
        errs = self.errors(name, instance)
        for e in errs[:5]:
            problem(f"{what}: fails {name} at {pointer(e.absolute_path) or '/'} ({e.validator}): {e.message[:300]}")
        return not errs

    def must_fail(self, name, instance, what):
        count("negative cases")
        if not self.errors(name, instance):
            problem(f"negative case accepted by {name}: {what}")
            return False
        info(f"rejected as expected: {what}")
        return True


# ------------------------------------------------------------------------------------ fixtures
FIXTURE_FILES = [
    "chat-started-participants-updated.json",
    "chat-started-status-change.json",
    "chat-started-message-log-updated.json",
    "chat-completed-status-change-revoked.json",
]


def error_value(e):
    """The value an errata location names: the offending item (enum) or required item (contains)."""
    if e.validator == "enum":
        return e.instance
    if e.validator == "contains":
        sub = e.validator_value
        return sub.get("const") if isinstance(sub, dict) else None
    return None


def check_fixtures(v):
    with open(os.path.join(FIXTURES, "errata.json"), encoding="utf-8") as f:
        errata = json.load(f)
    ids = [e["id"] for e in errata]
    if len(set(ids)) != len(ids):
        problem("errata.json: duplicate ids")
    for e in errata:
        for key in ("id", "fixture", "instancePath", "kind", "ruling", "tier", "locations"):
            if key not in e:
                problem(f"errata.json {e.get('id')}: missing {key}")
        if e.get("kind") not in ("repair", "inconsistency"):
            problem(f"errata.json {e.get('id')}: bad kind")
        if e.get("tier") not in ("NON-STRICT", "INFO"):
            problem(f"errata.json {e.get('id')}: bad tier")
    with open(os.path.join(FIXTURES, "ERRATA.md"), encoding="utf-8") as f:
        md = f.read()
    for e in errata:
        if f"**{e['id']} " not in md:
            problem(f"ERRATA.md does not list {e['id']}")
    expected = {}  # (fixture, path, keyword, value) -> erratum ids
    for e in errata:
        for loc in e["locations"]:
            if loc["fixture"] not in FIXTURE_FILES:
                problem(f"errata.json {e['id']}: unknown fixture {loc['fixture']}")
            if loc.get("fails"):
                key = (loc["fixture"], loc["instancePath"], loc.get("keyword"), loc.get("value"))
                expected.setdefault(key, []).append(e["id"])
    seen = set()
    fixtures = {}
    for name in FIXTURE_FILES:
        path = os.path.join(FIXTURES, name)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        doc = json.loads(text)
        fixtures[name] = doc
        if text != json.dumps(doc, indent=2, ensure_ascii=False) + "\n":
            problem(f"{name}: not pretty-printed (2-space indent, trailing newline)")
        count("fixtures validated")
        errs = v.errors("notification.schema.json", doc)
        for err in errs:
            p = pointer(err.absolute_path)
            key = (name, p, err.validator, error_value(err))
            key_any = (name, p, err.validator, None)
            if key in expected or key_any in expected:
                seen.add(key if key in expected else key_any)
                who = expected.get(key) or expected.get(key_any)
                count("fixture failures explained by errata")
                print(f"  fixture {name} fails at {p} ({err.validator}"
                      f"{' ' + repr(error_value(err)) if error_value(err) is not None else ''}) -> {', '.join(who)}")
            else:
                problem(f"fixture {name} fails at {p} ({err.validator}): {err.message[:200]} -- no erratum explains it")
        # every location a fixture must NOT fail at: make sure the path exists
        for e in errata:
            for loc in e["locations"]:
                if loc["fixture"] == name and loc["instancePath"]:
                    if not resolve_pointer(doc, loc["instancePath"]):
                        problem(f"errata.json {e['id']}: {name} has no {loc['instancePath']}")
    for key, who in expected.items():
        if key not in seen:
            problem(f"errata {', '.join(who)} expects {key[0]} to fail at {key[1]} ({key[2]} {key[3]!r}), it does not")
    # Table forms substituted: the chat-started fixtures pass.
    for name in FIXTURE_FILES[:2]:
        doc = copy.deepcopy(fixtures[name])
        caps = doc["chat"]["capabilities"]
        doc["chat"]["capabilities"] = [("SwitchToBargeIn" if c == "SwitchBargeIn" else c) for c in caps] + ["AddComment"]
        if v.check("notification.schema.json", doc, f"{name} with E5/E6 corrected to the table's form"):
            print(f"  fixture {name} with E5+E6 corrected to the table: valid")
        if not v.errors("capabilities-coach.schema.json", doc["chat"]["capabilities"]):
            count("fixtures: corrected capability set is the Coach column")
        else:
            problem(f"{name}: corrected capabilities are not the Coach set")
    # Unrepaired values (E2-E4) must fail where the errata say.
    broken = copy.deepcopy(fixtures["chat-started-message-log-updated.json"])
    broken["messages"][0]["timestamp"] = "2014-05-0511: 08: 46.000-0700"
    broken["messages"][1]["from"]["uri"] = "http://10.10.15.212:9090/api/v2/users/\n\n90cc5439ff6848748e5e67811273f266"
    paths = {pointer(e.absolute_path) for e in v.errors("notification.schema.json", broken)}
    for p in ("/messages/0/timestamp", "/messages/1/from/uri"):
        count("negative cases")
        if p not in paths:
            problem(f"unrepaired E2/E3 value at {p} is not rejected")
    broken = copy.deepcopy(fixtures["chat-completed-status-change-revoked.json"])
    broken["chat"]["receivedDate"] = "2014-05-0511:09:45.000-0700"
    v.must_fail("notification.schema.json", broken, "unrepaired receivedDate (E4)")
    broken["chat"]["receivedDate"] = "2014-05-05 11:09:45.000-0700"
    broken["notificationType"] = "StateChanged"
    v.must_fail("notification.schema.json", broken, "notificationType StateChanged (E7)")
    return fixtures


def resolve_pointer(doc, ptr):
    node = doc
    for part in ptr.split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                return False
            node = node[int(part)]
        elif isinstance(node, dict):
            if part not in node:
                return False
            node = node[part]
        else:
            return False
    return True


def check_seed(seed_path, fixtures):
    if not seed_path or not os.path.exists(seed_path):
        print(f"  seed page not found ({seed_path}); skipping the re-derivation of the fixtures")
        return
    with open(seed_path, encoding="utf-8") as f:
        text = f.read()
    blocks, depth, start = [], 0, None
    for i, c in enumerate(text):
        if c == "{":
            if depth == 0:
                start = i
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                blocks.append(text[start:i + 1])
    if len(blocks) != 4:
        problem(f"seed page: expected 4 JSON examples, found {len(blocks)}")
        return
    for name, block in zip(FIXTURE_FILES, blocks):
        b = re.sub(r"(:\s*\d+)L(?=\s*[,}\]])", r"\1", block)  # E1
        b = re.sub(r'"(https?://[^"]*)"', lambda m: '"' + re.sub(r"\s+", "", m.group(1)) + '"', b)  # E2
        b = re.sub(r'"(\d{4}-\d{2}-\d{2})(\d{2}):\s*(\d{2}):\s*(\d{2}\.\d{3}[+-]\d{4})"', r'"\1 \2:\3:\4"', b)  # E3, E4
        count("fixtures re-derived from the seed")
        try:
            derived = json.loads(b)
        except ValueError as e:
            problem(f"seed example for {name} is not JSON after repairs E1-E4: {e}")
            continue
        if derived != fixtures[name]:
            problem(f"{name} differs from the seed example repaired with E1-E4 only")
        if list(derived) != list(fixtures[name]):
            problem(f"{name}: key order differs from the seed")
    print("  fixtures equal the seed's examples with exactly repairs E1-E4")


# ------------------------------------------------------------------------------------ samples
MONITOR = ["Leave", "SwitchToCoach", "SwitchToBargeIn"]
COACH = ["Leave", "SetInFocus", "SetDisposition", "AttachUserData", "DeleteUserData", "UpdateUserData",
         "AddComment", "Transfer", "Invite", "Consult", "SendToAgents", "SendStartTypingToAgentsNotification",
         "SendStopTypingToAgentsNotification", "SwitchToMonitor", "SwitchToBargeIn"]
BARGEIN = ["Leave", "SetInFocus", "SetDisposition", "AttachUserData", "DeleteUserData", "UpdateUserData",
           "AddComment", "Transfer", "Invite", "Consult", "SendToAgents", "SendStartTypingToAgentsNotification",
           "SendStopTypingToAgentsNotification", "SendMessage", "SendStartTypingNotification",
           "SendStopTypingNotification", "SwitchToMonitor", "SwitchToCoach"]
MODES = {"Monitor": (MONITOR, "Supervisors", "capabilities-monitor.schema.json"),
         "Coach": (COACH, "Agents", "capabilities-coach.schema.json"),
         "BargeIn": (BARGEIN, "All", "capabilities-bargein.schema.json")}


def check_samples(v, fixtures):
    uri = "http://localhost:8080/api/v2/chats/0000Na9B26EF002X"
    accept_caps = ["Transfer", "Complete", "Leave", "InFocus", "SendMessage", "SendStartTypingNotification",
                   "SendStopTypingNotification"]
    good = [
        ("notification.schema.json", "notes 2.3 Accept StatusChange",
         {"messageType": "ChatStateChangeMessage", "referenceId": 17, "notificationType": "StatusChange",
          "chat": {"state": "Chatting", "capabilities": accept_caps, "id": "0000Na9B26EF002X", "uri": uri,
                   "participants": []}}),
        ("notification.schema.json", "notes 2.3 Accept ParticipantsUpdated",
         {"messageType": "ChatStateChangeMessage", "notificationType": "ParticipantsUpdated",
          "chat": {"state": "Chatting", "capabilities": accept_caps, "id": "0000Na9B26EF002X", "uri": uri,
                   "participants": [{"type": "Agent", "nickname": "Marat", "participantId": "009052C5E743004C"},
                                    {"type": "Customer", "nickname": "PersonP", "participantId": "009052C5E6D6004A"}]}}),
        ("notification.schema.json", "notes 4.3 PropertiesUpdated",
         {"notificationType": "PropertiesUpdated", "messageType": "ChatStateChangeMessage",
          "chat": {"userData": {"key1": "value1", "key2": "value2"}, "state": "Chatting", "capabilities": accept_caps,
                   "uri": "http://localhost:8080/api/v2/chats/0000Wa9CAM6W00J",
                   "participants": [{"nickname": "test_consult_clientL", "type": "Customer", "participantId": "007352CE982D031B"},
                                    {"nickname": "TestName", "type": "Agent", "participantId": "007352CE984F0321"}],
                   "id": "0000Wa9CAM6W00J"}, "referenceId": 83}),
        ("notification.schema.json", "notes 2.2 Leave -> LeftChat",
         {"messageType": "ChatStateChangeMessage", "notificationType": "StatusChange",
          "chat": {"state": "LeftChat", "capabilities": ["Transfer", "Complete", "Leave", "InFocus"],
                   "id": "0000Na9B26EF002X", "uri": uri, "participants": []}}),
        ("notification.schema.json", "notes 2.4 MessageLogUpdated",
         {"messages": [{"index": 3, "from": {"nickname": "TestName", "type": "Agent", "participantId": "007352CE72D50290"},
                        "text": "How may I help you?", "visibility": "All", "timestamp": "2014-01-09 11:58:12.035+0200",
                        "type": "Text", "timestampSeconds": 1389261492035}],
          "notificationType": "NewMessages", "messageType": "MessageLogUpdated",
          "chatUri": "http://localhost:8080/api/v2/chats/0000Wa9CAM6W00FN", "chatPath": "/chats/0000Wa9CAM6W00FN"}),
        ("notification.schema.json", "notes 1.5 channel state",
         {"messageType": "ChannelStateChangeMessageV2",
          "channels": [{"channel": "chat", "userState": {"id": "9430250E-0A1B-421F-B372-F29E69366DED", "displayName": "Ready", "state": "Ready"}},
                       {"channel": "email", "userState": {"id": "900D55CC-2BB0-431F-8BF9-D3525B383BE6", "displayName": "Not Ready", "state": "NotReady"}}]}),
        ("notification.schema.json", "Error notification (payload undocumented)",
         {"messageType": "ChatStateChangeMessage", "notificationType": "Error", "referenceId": 4}),
        ("me-response.schema.json", "notes 1.1 /api/v2/me",
         {"statusCode": 0, "user": {"id": "63630bbebf4840d7a0bffd6312bc29ff", "userName": "ksippo", "firstName": "Kristi",
                                    "lastName": "Sippola", "roles": ["ROLE_AGENT"], "enabled": True,
                                    "changePasswordOnFirstLogin": False,
                                    "uri": "http://127.0.0.1/cloud-web/api/v2/users/63630bbebf4840d7a0bffd6312bc29ff",
                                    "path": "/users/63630bbebf4840d7a0bffd6312bc29ff"}}),
        ("error-response.schema.json", "notes 1.1 statusCode 20", {"statusCode": 20, "statusMessage": "Access de…"}),
        ("version-response.schema.json", "notes 1.1 version", {"statusCode": 0, "version": "8.5.200.50"}),
        ("chat-operation-response.schema.json", "notes 0 Invite response", {"statusCode": 0, "referenceId": 35}),
        ("chat-operation-response.schema.json", "plain success", {"statusCode": 0}),
        ("request-chat-response.schema.json", "notes 2.5 RequestChat response",
         {"id": "652492d9-1f0a-4c55-a1b2-0123456789ab", "statusCode": 0, "path": "/api/v2/chats/652492d9-1f0a-4c55-a1b2-0123456789ab"}),
        ("customer-chat-response.schema.json", "notes 2.5 customer chat",
         {"chat": {"capabilities": ["SendMessage", "Complete"], "id": "652492d9", "state": "WaitingForAgent",
                   "participants": [{"nickname": "Chris", "participantId": "00AF5367D3AD0008", "type": "Customer"}]}, "statusCode": 0}),
        ("customer-messages-response.schema.json", "notes 2.5 customer messages",
         {"messages": [{"from": {"nickname": "Chris", "participantId": "00AF5367D3AD0008", "type": "Customer"}, "index": 1,
                        "type": "ParticipantJoined"}], "statusCode": 0}),
        ("request-me-operation.schema.json", "notes 1.4 StartContactCenterSession",
         {"operationName": "StartContactCenterSession", "channels": ["voice", "chat"], "place": "p1"}),
        ("request-chat-operation.schema.json", "notes 2.2 UpdateUserData",
         {"operationName": "UpdateUserData", "userData": {"UserData1": 987654321, "UserData2": "DATAUPDATE-@123"}}),
        ("request-chat-operation.schema.json", "notes 2.2 Transfer to queue", {"operationName": "Transfer", "queueName": "Q"}),
        ("request-chat-operation.schema.json", "notes 2.2 Leave with text",
         {"operationName": "Leave", "text": "bye", "messageType": "Text", "treatAs": "System"}),
        ("request-supervisor-monitoring.schema.json", "notes 3.2 Coach",
         {"operationName": "Coach", "supervisorMonitoringMode": "NextChat", "nickname": "Boss"}),
        ("request-customer-request-chat.schema.json", "notes 2.5 RequestChat",
         {"operationName": "RequestChat", "nickname": "Chris", "subject": "Question...", "userData": {"a": "b"}}),
        ("bayeux-message.schema.json", "notes 4.3 envelope (chat)",
         {"channel": "/v2/me/chats", "data": fixtures["chat-completed-status-change-revoked.json"]}),
        ("bayeux-meta-reply.schema.json", "Bayeux 402",
         {"channel": "/meta/connect", "successful": False, "error": "402::Unknown client",
          "advice": {"reconnect": "handshake", "interval": 0}}),
    ]
    for mode, (caps, _, schema_name) in MODES.items():
        good.append((schema_name, f"{mode} set in table order", caps))
        good.append((schema_name, f"{mode} set reversed", list(reversed(caps))))
        good.append(("supervisor-capabilities.schema.json", f"{mode} set via dispatch", caps))
    for name, what, inst in good:
        count("documented samples valid")
        v.check(name, inst, f"sample '{what}'")

    # ---------------------------------------------------------------- deliberately wrong
    def chat_with(caps):
        doc = copy.deepcopy(fixtures["chat-started-status-change.json"])
        doc["chat"]["capabilities"] = caps
        return doc

    others = {"Monitor": "SendMessage", "Coach": "SendMessage", "BargeIn": "SwitchToBargeIn"}
    for mode, (caps, _, schema_name) in MODES.items():
        wrong = list(caps)
        wrong[0] = others[mode]  # replace Leave with a capability of another mode
        v.must_fail(schema_name, wrong, f"{mode}: Leave replaced by {others[mode]}")
        v.must_fail("notification.schema.json", chat_with(wrong), f"{mode} chat: Leave replaced by {others[mode]}")
        v.must_fail(schema_name, caps[:-1], f"{mode}: one capability missing")
        v.must_fail("notification.schema.json", chat_with(caps[1:]), f"{mode} chat: Leave missing")
        v.must_fail(schema_name, caps + ["Complete"], f"{mode}: extra Complete")
        v.must_fail("notification.schema.json", chat_with(caps + ["Complete"]), f"{mode} chat: extra Complete")
        v.must_fail(schema_name, caps[:-1] + [caps[0]], f"{mode}: duplicate")
        v.must_fail(schema_name, [c.replace("SwitchToBargeIn", "SwitchBargeIn") for c in caps] if "SwitchToBargeIn" in caps
                    else caps[:-1] + ["SwitchBargeIn"], f"{mode}: SwitchBargeIn spelling")
    # the mode sets of the other modes
    v.must_fail("capabilities-coach.schema.json", BARGEIN, "BargeIn set as Coach")
    v.must_fail("capabilities-monitor.schema.json", COACH, "Coach set as Monitor")
    v.must_fail("capabilities-bargein.schema.json", MONITOR, "Monitor set as BargeIn")

    base = fixtures["chat-completed-status-change-revoked.json"]
    mlu = fixtures["chat-started-message-log-updated.json"]

    def mod(doc, fn):
        d = copy.deepcopy(doc)
        fn(d)
        return d

    wrongs = [
        ("notification.schema.json", "unknown notificationType",
         mod(base, lambda d: d.update(notificationType="ChatEnded"))),
        ("notification.schema.json", "unknown messageType",
         mod(base, lambda d: d.update(messageType="DeviceStateChangeMessage"))),
        ("notification.schema.json", "missing messageType", mod(base, lambda d: d.pop("messageType"))),
        ("notification.schema.json", "StatusChange without chat", mod(base, lambda d: d.pop("chat"))),
        ("notification.schema.json", "Revoked with participants",
         mod(base, lambda d: d["chat"].update(participants=[{"nickname": "a", "type": "Agent", "participantId": "1"}]))),
        ("notification.schema.json", "Completed with capabilities",
         mod(base, lambda d: d["chat"].update(state="Completed", capabilities=["Leave"]))),
        ("notification.schema.json", "unknown chat state", mod(base, lambda d: d["chat"].update(state="Ended"))),
        ("notification.schema.json", "chat uri under /me/chats",
         mod(base, lambda d: d["chat"].update(uri="http://h/api/v2/me/chats/1"))),
        ("notification.schema.json", "MessageLogUpdated with notificationType StatusChange",
         mod(mlu, lambda d: d.update(notificationType="StatusChange"))),
        ("notification.schema.json", "message with a string index",
         mod(mlu, lambda d: d["messages"][0].update(index="1"))),
        ("notification.schema.json", "message index 0", mod(mlu, lambda d: d["messages"][0].update(index=0))),
        ("notification.schema.json", "timestampSeconds in seconds",
         mod(mlu, lambda d: d["messages"][0].update(timestampSeconds=1399313326))),
        ("notification.schema.json", "timestamp in ISO 8601",
         mod(mlu, lambda d: d["messages"][0].update(timestamp="2014-05-05T11:08:46.000-07:00"))),
        ("notification.schema.json", "message visibility Customers",
         mod(mlu, lambda d: d["messages"][0].update(visibility="Customers"))),
        ("notification.schema.json", "unknown message type",
         mod(mlu, lambda d: d["messages"][0].update(type="Chatter"))),
        ("notification.schema.json", "Text message without text",
         mod(mlu, lambda d: d["messages"][0].update(type="Text"))),
        ("notification.schema.json", "participant type Supervisor",
         mod(mlu, lambda d: d["messages"][2]["from"].update(type="Supervisor"))),
        ("notification.schema.json", "message without visibility",
         mod(mlu, lambda d: d["messages"][0].pop("visibility"))),
        ("notification.schema.json", "channel state without userState",
         {"messageType": "ChannelStateChangeMessageV2", "channels": [{"channel": "chat"}]}),
        ("error-response.schema.json", "error body with an extra field",
         {"statusCode": 3, "statusMessage": "no", "referenceId": 4}),
        ("error-response.schema.json", "error with statusCode 0", {"statusCode": 0, "statusMessage": "ok"}),
        ("error-response.schema.json", "error with string statusCode", {"statusCode": "3", "statusMessage": "no"}),
        ("error-response.schema.json", "error without statusMessage", {"statusCode": 3}),
        ("success-response.schema.json", "success with statusMessage", {"statusCode": 0, "statusMessage": "ok"}),
        ("chat-operation-response.schema.json", "error body as operation response", {"statusCode": 2, "statusMessage": "x"}),
        ("chat-operation-response.schema.json", "string referenceId", {"statusCode": 0, "referenceId": "35"}),
        ("request-chat-response.schema.json", "RequestChat response without path", {"statusCode": 0, "id": "x"}),
        ("user-response.schema.json", "user without roles",
         {"statusCode": 0, "user": {"id": "1", "userName": "a", "uri": "http://h/api/v2/users/1", "path": "/users/1"}}),
        ("customer-messages-response.schema.json", "customer sees Agents message",
         {"statusCode": 0, "messages": [{"index": 2, "type": "Text", "text": "x", "visibility": "Agents",
                                         "from": {"nickname": "a", "type": "Agent", "participantId": "1"}}]}),
        ("customer-chat-response.schema.json", "customer chat state Invited",
         {"statusCode": 0, "chat": {"id": "1", "state": "Invited", "capabilities": [], "participants": []}}),
        ("request-chat-operation.schema.json", "SendMessage without text", {"operationName": "SendMessage"}),
        ("request-chat-operation.schema.json", "unknown operation", {"operationName": "Smile"}),
        ("request-chat-operation.schema.json", "SwitchBargeIn operation", {"operationName": "SwitchBargeIn"}),
        ("request-chat-operation.schema.json", "Accept with a typo'd parameter", {"operationName": "Accept", "nickName": "x"}),
        ("request-chat-operation.schema.json", "Transfer to agent and queue",
         {"operationName": "Transfer", "targetUri": "http://h/api/v2/users/1", "queueName": "q"}),
        ("request-chat-operation.schema.json", "Leave with treatAs but no text", {"operationName": "Leave", "treatAs": "System"}),
        ("request-chat-operation.schema.json", "DeleteUserData with keys as string", {"operationName": "DeleteUserData", "keys": "a"}),
        ("request-supervisor-monitoring.schema.json", "supervisorMonitoringMode ThisChat",
         {"operationName": "Monitor", "supervisorMonitoringMode": "ThisChat"}),
        ("request-supervisor-monitoring.schema.json", "Listen operation", {"operationName": "ListenIn"}),
        ("request-me-operation.schema.json", "StartContactCenterSession without channels",
         {"operationName": "StartContactCenterSession"}),
        ("request-customer-request-chat.schema.json", "RequestChat without nickname", {"operationName": "RequestChat"}),
        ("request-customer-chat-operation.schema.json", "customer SendToAgents", {"operationName": "SendToAgents", "text": "x"}),
        ("bayeux-message.schema.json", "/v2/me/chats carrying a channel state",
         {"channel": "/v2/me/chats", "data": {"messageType": "ChannelStateChangeMessageV2",
                                              "channels": [{"channel": "chat", "userState": {"state": "Ready", "displayName": "Ready", "id": "x"}}]}}),
        ("bayeux-message.schema.json", "notification without the data wrapper",
         {"channel": "/v2/me/chats", **base}),
        ("bayeux-meta-reply.schema.json", "unsuccessful reply without error", {"channel": "/meta/connect", "successful": False}),
        ("bayeux-meta-reply.schema.json", "handshake without clientId",
         {"channel": "/meta/handshake", "successful": True, "version": "1.0", "supportedConnectionTypes": ["long-polling"]}),
        ("bayeux-meta-reply.schema.json", "bad error format", {"channel": "/meta/connect", "successful": False, "error": "Unknown client"}),
        ("bayeux-meta-reply.schema.json", "bad advice", {"channel": "/meta/connect", "successful": True, "clientId": "c",
                                                         "advice": {"reconnect": "later"}}),
    ]
    for name, what, inst in wrongs:
        v.must_fail(name, inst, what)


# ------------------------------------------------------------------------------------ server driver
class Http:
    """One HTTP actor: cookie jar + optional Basic credentials. Records everything it exchanges."""

    def __init__(self, base, v, user=None, password="password", contact_center=None):
        self.base, self.v, self.user = base, v, user
        self.auth = None
        if user:
            self.auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self.contact_center = contact_center
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.references = set()

    def raw(self, method, path, body=None, headers=None, data=None):
        hdrs = {"Accept": "application/json"}
        if self.auth:
            hdrs["Authorization"] = self.auth
        if self.contact_center:
            hdrs["ContactCenterId"] = self.contact_center
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None:
            hdrs["Content-Type"] = "application/json"
        hdrs.update(headers or {})
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=hdrs)
        try:
            with self.opener.open(req, timeout=15) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()
        except (urllib.error.URLError, OSError) as e:  # connection refused, reset, broken pipe
            return None, f"<no HTTP response: {e}>"

    def call(self, method, path, body=None, ok_schema=None, request_schema=None, expect=None, **kw):
        """Sends a request, validates the request body (when a request schema is given), the
        response against ok_schema (2xx) or error-response (otherwise). `expect` is
        (http_status, statusCode) for a deliberate error."""
        what = f"{self.user or 'customer'} {method} {path} {json.dumps(body) if body is not None else ''}"[:200]
        if request_schema and body is not None:
            count("request bodies validated")
            self.v.check(request_schema, body, f"request {what}")
        allow_disconnect = kw.pop("allow_disconnect", False)
        status, text = self.raw(method, path, body, **kw)
        count("HTTP exchanges")
        if status is None:
            if allow_disconnect:
                OBSERVATIONS.append(f"{what[:80]}: the server closed the connection before answering ({text[:80]})")
            else:
                problem(f"{what}: {text}")
            return status, None
        try:
            doc = json.loads(text)
        except ValueError:
            problem(f"{what}: HTTP {status}, body is not JSON: {text[:200]!r}")
            return status, None
        if 200 <= status < 300:
            count("REST success bodies validated")
            if ok_schema:
                self.v.check(ok_schema, doc, f"response to {what}")
            else:
                self.v.check("success-response.schema.json", doc, f"response to {what}")
            if isinstance(doc, dict) and isinstance(doc.get("referenceId"), int):
                self.references.add(doc["referenceId"])
        else:
            count("REST error bodies validated")
            self.v.check("error-response.schema.json", doc, f"error response to {what}")
            check_http_vs_status(status, doc, what)
        if expect:
            want_http, want_code = expect
            got_code = doc.get("statusCode") if isinstance(doc, dict) else None
            if status != want_http or (want_code is not None and got_code != want_code):
                problem(f"{what}: expected HTTP {want_http} statusCode {want_code}, got HTTP {status} statusCode {got_code}: {text[:200]}")
        elif not 200 <= status < 300:
            problem(f"{what}: unexpected HTTP {status}: {text[:200]}")
        return status, doc


def check_http_vs_status(status, doc, what):
    """DESIGN.md rulings: 401 <-> 20; 403 -> 3 or 5; 404 -> 6; 400 -> 1, 2 or 10."""
    code = doc.get("statusCode") if isinstance(doc, dict) else None
    allowed = {401: {20}, 403: {3, 5}, 404: {6}, 400: {1, 2, 10}, 413: {10}, 405: {10}}.get(status)
    count("HTTP status vs statusCode checked")
    if allowed is not None and code not in allowed:
        problem(f"{what}: HTTP {status} with statusCode {code} (DESIGN.md expects {sorted(allowed)})")
    if code == 20 and status != 401:
        problem(f"{what}: statusCode 20 with HTTP {status} (DESIGN.md: 401)")


class Bayeux:
    """A Bayeux long-polling client for one actor, with a background connect loop."""

    def __init__(self, http, v, subscriptions):
        self.http, self.v = http, v
        self.inbox = []  # [(channel, data)]
        self.consumed = set()
        self.cond = threading.Condition()
        self.stop = False
        self.client_id = None
        self.msg_id = 0
        self.subscriptions = subscriptions
        self.thread = None

    def post(self, messages, path="/api/v2/notifications"):
        for m in messages:
            self.msg_id += 1
            m.setdefault("id", str(self.msg_id))
        status, text = self.http.raw("POST", path, messages)
        count("Bayeux exchanges")
        try:
            doc = json.loads(text)
        except ValueError:
            problem(f"Bayeux {self.http.user}: HTTP {status}, not JSON: {text[:200]!r}")
            return status, []
        if status != 200:
            count("REST error bodies validated")
            self.v.check("error-response.schema.json", doc, f"Bayeux HTTP {status} for {self.http.user}")
            check_http_vs_status(status, doc, f"Bayeux POST {json.dumps(messages)[:120]}")
            return status, doc
        count("Bayeux responses validated")
        self.v.check("bayeux-response.schema.json", doc, f"Bayeux response to {self.http.user} {json.dumps(messages)[:150]}")
        for m in doc if isinstance(doc, list) else []:
            if isinstance(m, dict) and "data" in m:
                count("notifications validated")
                self.v.check("bayeux-message.schema.json", m, f"notification to {self.http.user}: {json.dumps(m)[:250]}")
                with self.cond:
                    self.inbox.append((m.get("channel"), m.get("data")))
                    self.cond.notify_all()
        return status, doc

    def reply(self, doc, channel):
        for m in doc if isinstance(doc, list) else []:
            if isinstance(m, dict) and m.get("channel") == channel and "data" not in m:
                return m
        return None

    def start(self):
        _, doc = self.post([{"channel": "/meta/handshake", "version": "1.0",
                             "supportedConnectionTypes": ["long-polling"]}], path="/api/v2/notifications/handshake")
        r = self.reply(doc, "/meta/handshake")
        if not r or not r.get("successful"):
            problem(f"handshake of {self.http.user} failed: {doc}")
            return
        self.client_id = r["clientId"]
        _, doc = self.post([{"channel": "/meta/subscribe", "clientId": self.client_id, "subscription": s}
                            for s in self.subscriptions])
        for m in doc:
            if m.get("channel") == "/meta/subscribe" and not m.get("successful"):
                problem(f"subscribe of {self.http.user} failed: {m}")
        # first connect, as CometD does, then the loop
        self.post([{"channel": "/meta/connect", "clientId": self.client_id, "connectionType": "long-polling",
                    "advice": {"timeout": 0}}])
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while not self.stop:
            _, doc = self.post([{"channel": "/meta/connect", "clientId": self.client_id,
                                 "connectionType": "long-polling"}], path="/api/v2/notifications/connect")
            r = self.reply(doc, "/meta/connect")
            if r is None or not r.get("successful"):
                if not self.stop:
                    problem(f"connect of {self.http.user} failed: {r}")
                return

    def wait(self, pred, what, timeout=6.0):
        deadline = time.time() + timeout
        with self.cond:
            while True:
                for i, (channel, data) in enumerate(self.inbox):
                    if i not in self.consumed and pred(channel, data):
                        self.consumed.add(i)
                        return data
                left = deadline - time.time()
                if left <= 0:
                    problem(f"{self.http.user}: no notification '{what}' within {timeout}s")
                    return None
                self.cond.wait(left)

    def skip(self):
        """Marks everything received so far as consumed (the next wait sees only newer messages)."""
        with self.cond:
            self.consumed.update(range(len(self.inbox)))

    def chat(self, ntype, state=None, chat_id=None, timeout=6.0):
        def pred(channel, d):
            return (channel == "/v2/me/chats" and d.get("messageType") == "ChatStateChangeMessage"
                    and d.get("notificationType") == ntype
                    and (state is None or d.get("chat", {}).get("state") == state)
                    and (chat_id is None or d.get("chat", {}).get("id") == chat_id))
        return self.wait(pred, f"{ntype} {state or ''} {chat_id or ''}", timeout)

    def log(self, chat_id=None, pred=None, timeout=6.0):
        def p(channel, d):
            return (channel == "/v2/me/chats" and d.get("messageType") == "MessageLogUpdated"
                    and (chat_id is None or d.get("chatUri", "").endswith("/" + chat_id))
                    and (pred is None or pred(d)))
        return self.wait(p, f"MessageLogUpdated {chat_id or ''}", timeout)

    def drain(self, settle=0.6):
        """Waits until nothing new arrived for `settle` seconds."""
        n = -1
        while True:
            with self.cond:
                now = len(self.inbox)
            if now == n:
                return
            n = now
            time.sleep(settle)

    def close(self):
        self.stop = True
        if self.client_id:
            self.post([{"channel": "/meta/disconnect", "clientId": self.client_id}])
        if self.thread:
            self.thread.join(timeout=5)

    def notifications(self):
        with self.cond:
            return list(self.inbox)


def free_port(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT from a previous run is fine
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def drive_server(v, binary, port, dump=None):
    if not os.path.exists(binary):
        problem(f"server binary {binary} not found (build with CARGO_BUILD_JOBS=2 cargo build --release)")
        return
    if not free_port(port):
        problem(f"port {port} is in use")
        return
    log_path = os.path.join("/tmp", f"gws-conform-serve-{port}.log")
    log = open(log_path, "w")
    proc = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{port}", "--long-poll-timeout", "2000"],
                            stdout=log, stderr=subprocess.STDOUT)
    print(f"  started reference server pid {proc.pid} on 127.0.0.1:{port} (log {log_path})")
    base = f"http://127.0.0.1:{port}"
    actors = {}
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/api/v2/diagnostics/version", timeout=1).read()
                break
            except Exception:  # noqa: BLE001
                if proc.poll() is not None:
                    problem(f"server exited with {proc.returncode}; see {log_path}")
                    return
                time.sleep(0.1)
        try:
            scenario(v, base, actors)
        except Exception as e:  # noqa: BLE001 -- a crash of the driver is a problem, not a traceback
            import traceback
            traceback.print_exc()
            problem(f"the server run stopped early: {type(e).__name__}: {e}")
    finally:
        for b in actors.values():
            try:
                b.close()
            except Exception as e:  # noqa: BLE001
                problem(f"closing a Bayeux client: {e}")
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        print(f"  stopped reference server pid {proc.pid}")
    post_checks(v, actors)
    if dump:
        with open(dump, "w", encoding="utf-8") as f:
            for user, b in actors.items():
                for channel, data in b.notifications():
                    f.write(json.dumps({"user": user, "channel": channel, "data": data}) + "\n")
        print(f"  notifications written to {dump}")


def scenario(v, base, B):
    ME_OP = "request-me-operation.schema.json"
    CHAT_OP = "request-chat-operation.schema.json"
    SUP_OP = "request-supervisor-monitoring.schema.json"
    CUST_OP = "request-customer-chat-operation.schema.json"
    OPRESP = "chat-operation-response.schema.json"
    anon = Http(base, v)
    anon.call("GET", "/api/v2/diagnostics/version", ok_schema="version-response.schema.json")
    anon.call("GET", "/api/v2/me", expect=(401, 20))
    Http(base, v, "agent1", "wrong").call("GET", "/api/v2/me", expect=(401, 20))
    anon.call("GET", "/api/v2/me", headers={"Authorization": "Basic !!!"}, expect=(401, 20))

    H = {u: Http(base, v, u) for u in ("agent1", "agent2", "agent3", "supervisor1", "supervisor2")}
    ids = {}
    for u, h in H.items():
        _, doc = h.call("GET", "/api/v2/me", ok_schema="me-response.schema.json")
        ids[u] = doc["user"]["id"]
        subs = ["/v2/me/*"] if u in ("agent1", "supervisor1") else ["/v2/me/chats", "/v2/me/channels"]
        B[u] = Bayeux(h, v, subs)
        B[u].start()
        h.call("POST", "/api/v2/me", {"operationName": "StartContactCenterSession", "channels": ["chat"]},
               request_schema=ME_OP, ok_schema=OPRESP)
        B[u].wait(lambda c, d: c == "/v2/me/channels", "channel state after StartContactCenterSession")
        h.call("GET", "/api/v2/me/channels", ok_schema="me-channels-response.schema.json")
    a1, a2, a3, s1, s2 = (H[u] for u in ("agent1", "agent2", "agent3", "supervisor1", "supervisor2"))
    uri = {u: f"{base}/api/v2/users/{i}" for u, i in ids.items()}

    # users
    a1.call("GET", "/api/v2/users", ok_schema="users-list-response.schema.json")
    _, doc = s1.call("GET", "/api/v2/users?userName=agent1", ok_schema="users-list-response.schema.json")
    if [u["id"] for u in doc.get("users", [])] != [ids["agent1"]]:
        problem(f"GET /api/v2/users?userName=agent1 returned {doc}")
    s1.call("GET", f"/api/v2/users/{ids['agent1']}", ok_schema="user-response.schema.json")
    s1.call("GET", "/api/v2/users/nosuchuser", expect=(404, 6))
    s1.call("GET", "/api/v2/nosuchresource", expect=(404, 6))
    a1.call("DELETE", "/api/v2/me", expect=(405, 10))

    # malformed requests
    a1.call("POST", "/api/v2/me", data=b"{not json", expect=(400, 10))
    a1.call("POST", "/api/v2/me", data=b"[1,2]", expect=(400, 10))
    a1.call("POST", "/api/v2/me", {}, expect=(400, 1))
    a1.call("POST", "/api/v2/me", {"operationName": "Dance"}, expect=(400, 10))
    a1.call("POST", "/api/v2/me", {"operationName": "StartContactCenterSession", "channels": "chat"}, expect=(400, 10))
    # larger than the default 64 KiB limit; the server may answer 413 before reading it all and close
    a1.call("POST", "/api/v2/me", data=b'{"operationName":"Ready","pad":"' + b"x" * (80 * 1024) + b'"}',
            expect=(413, 10), allow_disconnect=True)

    # readiness: only agent1 Ready for now
    a1.call("POST", "/api/v2/me/channels/chat", {"operationName": "Ready"},
            request_schema="request-channel-operation.schema.json", ok_schema=OPRESP)
    B["agent1"].wait(lambda c, d: c == "/v2/me/channels" and d["channels"][0]["userState"]["state"] == "Ready", "Ready")
    a1.call("POST", "/api/v2/me/channels/chat", {"operationName": "Lunch"}, expect=(400, 10))

    # supervision setup and errors
    sup = f"/api/v2/users/{ids['agent1']}/channels/chat"
    a2.call("POST", sup, {"operationName": "Monitor"}, request_schema=SUP_OP, expect=(403, 5))
    s1.call("POST", f"/api/v2/users/{ids['agent3']}/channels/chat", {"operationName": "CancelSupervisorMonitoring"},
            request_schema=SUP_OP, expect=(400, 2))
    s1.call("POST", sup, {"operationName": "Monitor", "supervisorMonitoringMode": "ThisChat"}, expect=(400, 10))
    s1.call("POST", "/api/v2/users/nosuchuser/channels/chat", {"operationName": "Monitor"}, expect=(404, 6))
    s1.call("POST", sup, {"operationName": "Monitor", "supervisorMonitoringMode": "AllChats"},
            request_schema=SUP_OP, ok_schema=OPRESP)
    s2.call("POST", sup, {"operationName": "Monitor"}, request_schema=SUP_OP, ok_schema=OPRESP)

    # ------------------------------------------------------------ chat 1
    cust = Http(base, v, contact_center="default")
    Http(base, v).call("POST", "/api/v2/chats", {"operationName": "RequestChat", "nickname": "x"}, expect=(400, 1))
    Http(base, v, contact_center="nope").call("POST", "/api/v2/chats", {"operationName": "RequestChat", "nickname": "x"},
                                              expect=(404, 6))
    cust.call("POST", "/api/v2/chats", {"operationName": "RequestChat"}, expect=(400, 1))
    _, doc = cust.call("POST", "/api/v2/chats",
                       {"operationName": "RequestChat", "nickname": "Chris", "subject": "Billing",
                        "userData": {"CustomerSegment": "gold", "Score": 7}},
                       request_schema="request-customer-request-chat.schema.json",
                       ok_schema="request-chat-response.schema.json")
    cchat = doc["id"]
    cpath = f"/api/v2/chats/{cchat}"
    offer = B["agent1"].chat("StatusChange", "Invited")
    chat1 = offer["chat"]["id"] if offer else "missing"
    if offer and sorted(offer["chat"]["capabilities"]) != ["Accept", "Reject"]:
        problem(f"offer capabilities {offer['chat']['capabilities']} (DESIGN.md: Accept, Reject)")
    cust.call("GET", cpath, ok_schema="customer-chat-response.schema.json")
    cust.call("GET", cpath + "/messages", ok_schema="customer-messages-response.schema.json")
    cust.call("GET", "/api/v2/chats/nosuch", expect=(404, 6))
    cust.call("GET", cpath + "/messages?index=abc", expect=(400, 10))
    p1 = f"/api/v2/me/chats/{chat1}"
    a1.call("POST", p1, {"operationName": "SendMessage", "text": "too early"}, request_schema=CHAT_OP, expect=(403, 3))
    a1.call("POST", p1, {"operationName": "Accept", "nickname": "Alice"}, request_schema=CHAT_OP, ok_schema=OPRESP)
    B["agent1"].chat("StatusChange", "Chatting", chat1)
    B["agent1"].chat("ParticipantsUpdated", None, chat1)
    B["agent1"].log(chat1)
    # both supervisors join in Monitor mode: ParticipantsUpdated, StatusChange, MessageLogUpdated
    for s in ("supervisor1", "supervisor2"):
        B[s].chat("ParticipantsUpdated", "Chatting", chat1)
        B[s].chat("StatusChange", "Chatting", chat1)
        B[s].log(chat1)
    mode = {"supervisor1": "Monitor", "supervisor2": "Monitor"}
    SUPERVISOR_MODES.append((chat1, "supervisor1", "Monitor", time.time()))

    def say(h, text, op="SendMessage"):
        h.call("POST", p1, {"operationName": op, "text": text}, request_schema=CHAT_OP, ok_schema=OPRESP)

    cust.call("POST", cpath, {"operationName": "SendStartTypingNotification"}, request_schema=CUST_OP)
    cust.call("POST", cpath, {"operationName": "SendMessage", "text": "Hello?"}, request_schema=CUST_OP)
    cust.call("POST", cpath, {"operationName": "SendStopTypingNotification"}, request_schema=CUST_OP)
    cust.call("POST", cpath, {"operationName": "Shout", "text": "x"}, expect=(400, 10))
    cust.call("POST", cpath, {"operationName": "SendMessage"}, expect=(400, 1))
    a1.call("POST", p1, {"operationName": "SendStartTypingNotification"}, request_schema=CHAT_OP, ok_schema=OPRESP)
    say(a1, "Hi Chris, how can I help?")
    a1.call("POST", p1, {"operationName": "SendStopTypingNotification"}, request_schema=CHAT_OP, ok_schema=OPRESP)
    say(a1, "[agents-only] note from agent1", "SendToAgents")
    a1.call("POST", p1, {"operationName": "SendStartTypingToAgentsNotification"}, request_schema=CHAT_OP, ok_schema=OPRESP)
    a1.call("POST", p1, {"operationName": "SendStopTypingToAgentsNotification"}, request_schema=CHAT_OP, ok_schema=OPRESP)
    a1.call("POST", p1, {"operationName": "SetInFocus"}, request_schema=CHAT_OP, ok_schema=OPRESP)
    a1.call("POST", p1, {"operationName": "UpdateUserData", "userData": {"UserData1": 987654321, "UserData2": "DATAUPDATE-@123"}},
            request_schema=CHAT_OP, ok_schema=OPRESP)
    B["agent1"].chat("PropertiesUpdated", None, chat1)
    a1.call("POST", p1, {"operationName": "AttachUserData", "userData": {"Attached": True}}, request_schema=CHAT_OP, ok_schema=OPRESP)
    a1.call("POST", p1, {"operationName": "DeleteUserData", "keys": ["UserData2"]}, request_schema=CHAT_OP, ok_schema=OPRESP)
    a1.call("POST", p1, {"operationName": "SetDisposition", "disposition": "Sale"}, request_schema=CHAT_OP, ok_schema=OPRESP)
    a1.call("POST", p1, {"operationName": "AddComment", "comment": "VIP"}, request_schema=CHAT_OP, ok_schema=OPRESP)
    a1.call("POST", p1, {"operationName": "UpdateUserData", "userData": {"nested": {"a": 1}}}, expect=(400, 10))
    a1.call("POST", p1, {"operationName": "DeleteUserData"}, expect=(400, 1))
    a1.call("POST", p1, {"operationName": "SendMessage", "text": 5}, expect=(400, 10))
    a1.call("POST", p1, {"operationName": "SwitchToCoach"}, expect=(403, 3))
    a1.call("POST", "/api/v2/me/chats/nosuchchat", {"operationName": "Leave"}, expect=(404, 6))
    a3.call("POST", p1, {"operationName": "Leave"}, expect=(403, 3))
    a3.call("GET", p1, expect=(403, 3))
    a1.call("GET", p1, ok_schema="chat-response.schema.json")
    a1.call("GET", "/api/v2/me/chats", ok_schema="me-chats-response.schema.json")
    a1.call("GET", "/api/v2/me/chats?fields=*", ok_schema="me-chats-response.schema.json")
    s1.call("GET", "/api/v2/me?subresources=*", ok_schema="me-response.schema.json")
    s1.call("GET", p1, ok_schema="chat-response.schema.json")

    # supervisor1 in Monitor may not talk
    s1.call("POST", p1, {"operationName": "SendMessage", "text": "x"}, request_schema=CHAT_OP, expect=(403, 3))
    s1.call("POST", p1, {"operationName": "SendToAgents", "text": "x"}, request_schema=CHAT_OP, expect=(403, 3))
    s1.call("POST", p1, {"operationName": "SwitchToMonitor"}, request_schema=CHAT_OP, expect=(403, 3))

    # every mode switch: M->C, C->B, B->M, M->B, B->C, C->M
    for target in ("Coach", "BargeIn", "Monitor", "BargeIn", "Coach", "Monitor"):
        B["supervisor1"].drain(0.3)
        B["supervisor1"].skip()
        s1.call("POST", p1, {"operationName": f"SwitchTo{target}"}, request_schema=CHAT_OP, ok_schema=OPRESP)
        got = B["supervisor1"].chat("ParticipantsUpdated", "Chatting", chat1)
        mode["supervisor1"] = target
        SUPERVISOR_MODES.append((chat1, "supervisor1", target, time.time()))
        if got:
            check_mode(got, target, "supervisor1", f"after SwitchTo{target}")
        if target == "Coach":
            say(s1, "[agents-only] coaching tip", "SendToAgents")
            s1.call("POST", p1, {"operationName": "SendStartTypingToAgentsNotification"}, request_schema=CHAT_OP, ok_schema=OPRESP)
            s1.call("POST", p1, {"operationName": "SendStopTypingToAgentsNotification"}, request_schema=CHAT_OP, ok_schema=OPRESP)
            s1.call("POST", p1, {"operationName": "SendMessage", "text": "x"}, expect=(403, 3))
            s1.call("POST", p1, {"operationName": "SetInFocus"}, request_schema=CHAT_OP, ok_schema=OPRESP)
            s1.call("POST", p1, {"operationName": "AddComment", "comment": "coached"}, request_schema=CHAT_OP, ok_schema=OPRESP)
            s1.call("POST", p1, {"operationName": "UpdateUserData", "userData": {"Coach": "yes"}}, request_schema=CHAT_OP, ok_schema=OPRESP)
        if target == "BargeIn":
            s1.call("POST", p1, {"operationName": "SendStartTypingNotification"}, request_schema=CHAT_OP, ok_schema=OPRESP)
            say(s1, "Supervisor here, hello Chris")
            s1.call("POST", p1, {"operationName": "SendStopTypingNotification"}, request_schema=CHAT_OP, ok_schema=OPRESP)
            s1.call("POST", p1, {"operationName": "SetDisposition", "disposition": "Escalated", "dispositionKey": "Outcome"},
                    request_schema=CHAT_OP, ok_schema=OPRESP)
        time.sleep(0.2)
    s1.call("POST", p1, {"operationName": "SwitchToMonitor"}, expect=(403, 3))

    # customer polls
    cust.call("GET", cpath, ok_schema="customer-chat-response.schema.json")
    _, doc = cust.call("GET", cpath + "/messages?index=0", ok_schema="customer-messages-response.schema.json")
    CUSTOMER_MESSAGES.extend(doc.get("messages", []) if doc else [])
    cust.call("GET", cpath + "/messages", ok_schema="customer-messages-response.schema.json")

    # conference: agent1 invites agent2, agent2 accepts, then leaves
    a1.call("POST", p1, {"operationName": "Invite", "targetUri": uri["agent3"] + "x"}, expect=(404, 6))
    a1.call("POST", p1, {"operationName": "Invite", "targetUri": "http://h/not-a-user"}, expect=(400, 10))
    a1.call("POST", p1, {"operationName": "Invite"}, expect=(400, 1))
    a1.call("POST", p1, {"operationName": "Invite", "targetUri": uri["agent2"]}, request_schema=CHAT_OP, ok_schema=OPRESP)
    if B["agent2"].chat("StatusChange", "Invited", chat1):
        H["agent2"].call("POST", p1, {"operationName": "Accept"}, request_schema=CHAT_OP, ok_schema=OPRESP)
        B["agent2"].chat("StatusChange", "Chatting", chat1)
        H["agent2"].call("POST", p1, {"operationName": "SendMessage", "text": "agent2 joined"}, request_schema=CHAT_OP, ok_schema=OPRESP)
        H["agent2"].call("POST", p1, {"operationName": "Leave"}, request_schema=CHAT_OP, ok_schema=OPRESP)
        B["agent2"].chat("StatusChange", "Completed", chat1)
    # consultation: agent1 consults agent3, agent3 accepts, talks, leaves
    a1.call("POST", p1, {"operationName": "Consult", "targetUri": uri["agent3"]}, request_schema=CHAT_OP, ok_schema=OPRESP)
    if B["agent3"].chat("StatusChange", "Invited", chat1):
        a3.call("POST", p1, {"operationName": "Accept"}, request_schema=CHAT_OP, ok_schema=OPRESP)
        B["agent3"].chat("StatusChange", "Chatting", chat1)
        say(a3, "[agents-only] consultant advice", "SendToAgents")
        a3.call("POST", p1, {"operationName": "SendMessage", "text": "x"}, expect=(403, 3))
        a3.call("POST", p1, {"operationName": "Leave"}, request_schema=CHAT_OP, ok_schema=OPRESP)
        B["agent3"].chat("StatusChange", "Completed", chat1)
    # agent1 completes: agent1 Completed, supervisors Revoked, customer Idle
    a1.call("POST", p1, {"operationName": "Complete"}, request_schema=CHAT_OP, ok_schema=OPRESP)
    B["agent1"].chat("StatusChange", "Completed", chat1)
    B["supervisor1"].chat("StatusChange", "Revoked", chat1)
    B["supervisor2"].chat("StatusChange", "Revoked", chat1)
    _, doc = cust.call("GET", cpath, ok_schema="customer-chat-response.schema.json")
    if doc and doc["chat"]["state"] != "Idle":
        problem(f"customer chat after Complete is {doc['chat']['state']}, expected Idle")
    _, doc = cust.call("GET", cpath + "/messages?index=0", ok_schema="customer-messages-response.schema.json")
    CUSTOMER_MESSAGES.extend(doc.get("messages", []) if doc else [])
    cust.call("POST", cpath, {"operationName": "SendMessage", "text": "still there?"}, expect=(400, 2))
    cust.call("POST", cpath, {"operationName": "Complete"}, request_schema=CUST_OP)
    a1.call("POST", p1, {"operationName": "Leave"}, expect=(403, 3))

    # ------------------------------------------------------------ chat 2: Coach NextChat, Transfer, Reject
    s2.call("POST", sup, {"operationName": "CancelSupervisorMonitoring"}, request_schema=SUP_OP, ok_schema=OPRESP)
    s2.call("POST", sup, {"operationName": "CancelSupervisorMonitoring"}, expect=(400, 2))
    s1.call("POST", sup, {"operationName": "Coach", "supervisorMonitoringMode": "NextChat", "nickname": "Coach Carter"},
            request_schema=SUP_OP, ok_schema=OPRESP)
    cust2 = Http(base, v, contact_center="default")
    _, doc = cust2.call("POST", "/api/v2/chats", {"operationName": "RequestChat", "nickname": "Dana"},
                        request_schema="request-customer-request-chat.schema.json", ok_schema="request-chat-response.schema.json")
    c2path = f"/api/v2/chats/{doc['id']}"
    offer = B["agent1"].chat("StatusChange", "Invited")
    chat2 = offer["chat"]["id"] if offer else "missing"
    p2 = f"/api/v2/me/chats/{chat2}"
    a1.call("POST", p2, {"operationName": "Accept"}, request_schema=CHAT_OP, ok_schema=OPRESP)
    got = B["supervisor1"].chat("ParticipantsUpdated", "Chatting", chat2)
    SUPERVISOR_MODES.append((chat2, "supervisor1", "Coach", time.time()))
    if got:
        check_mode(got, "Coach", "Coach Carter", "Coach join")
    B["supervisor1"].chat("StatusChange", "Chatting", chat2)
    B["supervisor1"].log(chat2)
    s1.call("POST", p2, {"operationName": "SendToAgents", "text": "[agents-only] take it easy"}, request_schema=CHAT_OP, ok_schema=OPRESP)
    cust2.call("POST", c2path, {"operationName": "SendMessage", "text": "I want a refund"}, request_schema=CUST_OP)
    # transfer to agent2 (logged in, not Ready) -> supervisor Revoked, agent2 offered; agent2 rejects
    a1.call("POST", p2, {"operationName": "Transfer", "targetUri": uri["agent1"]}, expect=(400, 2))
    a1.call("POST", p2, {"operationName": "Transfer", "targetUri": uri["agent2"]}, request_schema=CHAT_OP, ok_schema=OPRESP)
    B["agent1"].chat("StatusChange", "Completed", chat2)
    B["supervisor1"].chat("StatusChange", "Revoked", chat2)
    if B["agent2"].chat("StatusChange", "Invited", chat2):
        H["agent2"].call("POST", p2, {"operationName": "Reject"}, request_schema=CHAT_OP, ok_schema=OPRESP)
        B["agent2"].chat("StatusChange", "Completed", chat2)
    # agent3 becomes Ready (via /api/v2/me) and gets the queued chat
    a3.call("POST", "/api/v2/me", {"operationName": "Ready"}, request_schema=ME_OP, ok_schema=OPRESP)
    if B["agent3"].chat("StatusChange", "Invited", chat2):
        a3.call("POST", p2, {"operationName": "Accept", "nickname": "Carol"}, request_schema=CHAT_OP, ok_schema=OPRESP)
        B["agent3"].chat("StatusChange", "Chatting", chat2)
        cust2.call("POST", c2path, {"operationName": "Complete"}, request_schema=CUST_OP)
        B["agent3"].chat("ParticipantsUpdated", "Chatting", chat2)
        a3.call("POST", p2, {"operationName": "Complete", "saveLAR": True}, request_schema=CHAT_OP, ok_schema=OPRESP)
        B["agent3"].chat("StatusChange", "Completed", chat2)
    cust2.call("GET", c2path, ok_schema="customer-chat-response.schema.json")

    # ------------------------------------------------------------ chat 3: BargeIn, supervisor Leave, agent Leave
    a1.call("POST", "/api/v2/me", {"operationName": "NotReady"}, request_schema=ME_OP, ok_schema=OPRESP)
    s1.call("POST", f"/api/v2/users/{ids['agent3']}/channels/chat",
            {"operationName": "BargeIn", "supervisorMonitoringMode": "AllChats", "nickname": "Boss"},
            request_schema=SUP_OP, ok_schema=OPRESP)
    cust3 = Http(base, v, contact_center="default")
    _, doc = cust3.call("POST", "/api/v2/chats", {"operationName": "RequestChat", "nickname": "Eve", "subject": "Hi"},
                        request_schema="request-customer-request-chat.schema.json", ok_schema="request-chat-response.schema.json")
    c3path = f"/api/v2/chats/{doc['id']}"
    offer = B["agent3"].chat("StatusChange", "Invited")
    chat3 = offer["chat"]["id"] if offer else "missing"
    p3 = f"/api/v2/me/chats/{chat3}"
    a3.call("POST", p3, {"operationName": "Accept"}, request_schema=CHAT_OP, ok_schema=OPRESP)
    got = B["supervisor1"].chat("ParticipantsUpdated", "Chatting", chat3)
    SUPERVISOR_MODES.append((chat3, "supervisor1", "BargeIn", time.time()))
    if got:
        check_mode(got, "BargeIn", "Boss", "BargeIn join")
    s1.call("POST", p3, {"operationName": "SendMessage", "text": "Boss says hi"}, request_schema=CHAT_OP, ok_schema=OPRESP)
    _, doc = cust3.call("GET", c3path, ok_schema="customer-chat-response.schema.json")
    if doc and "Boss" not in [p.get("nickname") for p in doc["chat"]["participants"]]:
        problem("customer does not see the BargeIn supervisor (visibility All) among the participants")
    _, doc = cust3.call("GET", c3path + "/messages?index=0", ok_schema="customer-messages-response.schema.json")
    CUSTOMER_MESSAGES.extend(doc.get("messages", []) if doc else [])
    if doc and "Boss says hi" not in [m.get("text") for m in doc["messages"]]:
        problem("customer does not see the BargeIn supervisor's message")
    s1.call("POST", p3, {"operationName": "Leave"}, request_schema=CHAT_OP, ok_schema=OPRESP)
    B["supervisor1"].chat("StatusChange", "Completed", chat3)
    s1.call("POST", f"/api/v2/users/{ids['agent3']}/channels/chat", {"operationName": "CancelSupervisorMonitoring"},
            request_schema=SUP_OP, ok_schema=OPRESP)
    a3.call("POST", p3, {"operationName": "Leave", "text": "Goodbye", "treatAs": "Normal"}, request_schema=CHAT_OP,
            ok_schema=OPRESP)
    B["agent3"].chat("StatusChange", "LeftChat", chat3)
    a3.call("POST", p3, {"operationName": "SetDisposition", "disposition": "Done"}, request_schema=CHAT_OP, ok_schema=OPRESP)
    a3.call("POST", p3, {"operationName": "Complete"}, request_schema=CHAT_OP, ok_schema=OPRESP)
    B["agent3"].chat("StatusChange", "Completed", chat3)

    # ------------------------------------------------------------ chat 4: Monitor, Transfer to a queue, logout
    s1.call("POST", f"/api/v2/users/{ids['agent3']}/channels/chat", {"operationName": "Monitor"},
            request_schema=SUP_OP, ok_schema=OPRESP)
    cust4 = Http(base, v, contact_center="default")
    cust4.call("POST", "/api/v2/chats", {"operationName": "RequestChat", "nickname": "Finn"},
               request_schema="request-customer-request-chat.schema.json", ok_schema="request-chat-response.schema.json")
    offer = B["agent3"].chat("StatusChange", "Invited")
    chat4 = offer["chat"]["id"] if offer else "missing"
    p4 = f"/api/v2/me/chats/{chat4}"
    a3.call("POST", p4, {"operationName": "Accept"}, request_schema=CHAT_OP, ok_schema=OPRESP)
    got = B["supervisor1"].chat("ParticipantsUpdated", "Chatting", chat4)
    SUPERVISOR_MODES.append((chat4, "supervisor1", "Monitor", time.time()))
    if got:
        check_mode(got, "Monitor", "supervisor1", "Monitor join")
    a2.call("POST", "/api/v2/me/channels/chat", {"operationName": "Ready"}, request_schema="request-channel-operation.schema.json",
            ok_schema=OPRESP)
    a3.call("POST", p4, {"operationName": "Transfer", "queueName": "Billing"}, request_schema=CHAT_OP, ok_schema=OPRESP)
    B["supervisor1"].chat("StatusChange", "Revoked", chat4)
    if B["agent2"].chat("StatusChange", "Invited", chat4):
        a2.call("POST", p4, {"operationName": "Accept"}, request_schema=CHAT_OP, ok_schema=OPRESP)
        B["agent2"].chat("StatusChange", "Chatting", chat4)
        # logging out with an open chat leaves it
        a2.call("POST", "/api/v2/me", {"operationName": "EndContactCenterSession"}, request_schema=ME_OP, ok_schema=OPRESP)
        B["agent2"].chat("StatusChange", None, chat4)

    # ------------------------------------------------------------ chat 5: withdrawn offer
    a1.call("POST", "/api/v2/me", {"operationName": "Ready"}, request_schema=ME_OP, ok_schema=OPRESP)
    a3.call("POST", "/api/v2/me", {"operationName": "NotReady"}, request_schema=ME_OP, ok_schema=OPRESP)
    cust5 = Http(base, v, contact_center="default")
    _, doc = cust5.call("POST", "/api/v2/chats", {"operationName": "RequestChat", "nickname": "Gil"},
                        request_schema="request-customer-request-chat.schema.json", ok_schema="request-chat-response.schema.json")
    offer = B["agent1"].chat("StatusChange", "Invited")
    cust5.call("POST", f"/api/v2/chats/{doc['id']}", {"operationName": "Complete"}, request_schema=CUST_OP)
    if offer:
        B["agent1"].chat("StatusChange", "Revoked", offer["chat"]["id"])

    # ------------------------------------------------------------ Bayeux errors
    b = B["agent1"]
    status, doc = b.post([{"channel": "/meta/connect", "clientId": "nosuchclient", "connectionType": "long-polling"}])
    r = b.reply(doc, "/meta/connect")
    if not r or r.get("successful") or not str(r.get("error", "")).startswith("402"):
        problem(f"connect with an unknown clientId: {doc}")
    _, doc = b.post([{"channel": "/v2/me/chats", "clientId": b.client_id, "data": {"x": 1}}])
    _, doc = b.post([{"channel": "/meta/subscribe", "clientId": b.client_id, "subscription": "/meta/connect"}])
    _, doc = b.post([{"channel": "/meta/subscribe", "clientId": b.client_id}])
    _, doc = b.post([{"channel": "/meta/unsubscribe", "clientId": b.client_id, "subscription": "/v2/me/*"}])
    _, doc = b.post([{"channel": "/meta/subscribe", "clientId": b.client_id, "subscription": "/v2/me/*"}])
    _, doc = b.post([{"channel": "/meta/nonsense", "clientId": b.client_id}])
    _, doc = b.post([{"channel": "/meta/handshake", "version": "1.0", "supportedConnectionTypes": ["websocket"]}])
    extra = Bayeux(H["agent3"], v, ["/v2/me/chats"])
    extra.start()
    extra.close()
    for body in (b"not json", b"[]", b"42"):
        status, text = H["agent1"].raw("POST", "/api/v2/notifications", data=body)
        count("Bayeux exchanges")
        try:
            d = json.loads(text)
        except ValueError:
            problem(f"Bayeux malformed body {body!r}: HTTP {status} non-JSON {text[:100]!r}")
            continue
        if status == 200:
            v.check("bayeux-response.schema.json", d, f"Bayeux reply to malformed body {body!r}")
        else:
            count("REST error bodies validated")
            v.check("error-response.schema.json", d, f"Bayeux error for malformed body {body!r}")
            check_http_vs_status(status, d, f"Bayeux malformed body {body!r}")
    status, text = H["agent1"].raw("POST", "/api/v2/notifications", [{"id": "1"}, 7])
    count("Bayeux exchanges")
    try:
        d = json.loads(text)
        count("Bayeux responses validated")
        errs = v.errors("bayeux-response.schema.json", d)
        if errs:
            OBSERVATIONS.append(
                f"reply to Bayeux messages without a channel / not an object: {text[:200]} -- fails "
                f"bayeux-response.schema.json ({errs[0].message[:120]}); Bayeux requires 'channel' in every reply")
    except ValueError:
        problem(f"Bayeux reply not JSON: {text[:100]!r}")

    # ------------------------------------------------------------ logout
    for u in ("agent1", "agent3", "supervisor1", "supervisor2"):
        B[u].drain(0.3)
        H[u].call("POST", "/api/v2/me", {"operationName": "EndContactCenterSession"}, request_schema=ME_OP, ok_schema=OPRESP)
    a3.call("POST", "/api/v2/me", {"operationName": "Ready"}, expect=(400, 2))
    for u in B:
        B[u].drain(0.5)


SUPERVISOR_MODES = []  # (chat id, supervisor, mode, since)
CUSTOMER_MESSAGES = []
OBSERVATIONS = []


def check_mode(notification, mode, nickname, what):
    caps, visibility, _ = MODES[mode]
    chat = notification["chat"]
    count("supervisor mode checks")
    if sorted(chat["capabilities"]) != sorted(caps):
        problem(f"supervisor {what}: capabilities {chat['capabilities']} are not the {mode} set")
    me = [p for p in chat["participants"] if p.get("nickname") == nickname]
    if len(me) != 1:
        problem(f"supervisor {what}: participant {nickname!r} not found once in {chat['participants']}")
    elif me[0].get("visibility") != visibility:
        problem(f"supervisor {what}: visibility {me[0].get('visibility')} in {mode} mode, expected {visibility}")


def post_checks(v, B):
    # customer never sees Agents-only text
    for m in CUSTOMER_MESSAGES:
        count("customer messages checked for visibility")
        if "[agents-only]" in (m.get("text") or ""):
            problem(f"customer received Agents-only content: {m}")
    # per actor: message indexes strictly increase per chat; referenceIds echo the actor's responses;
    # ended chats have empty participants/capabilities (also in the schema); supervisor capability sets
    for user, b in B.items():
        last = {}
        for channel, d in b.notifications():
            if not isinstance(d, dict):
                continue
            if d.get("messageType") == "MessageLogUpdated":
                chat = d.get("chatUri", "")
                for m in d.get("messages", []):
                    count("message indexes checked")
                    if isinstance(m.get("index"), int):
                        if m["index"] <= last.get(chat, 0):
                            problem(f"{user}: message index {m['index']} after {last.get(chat)} in {chat} "
                                    "(DESIGN.md: index strictly increases per chat per actor)")
                        last[chat] = max(last.get(chat, 0), m["index"])
                    if user.startswith("agent") and m.get("visibility") == "Supervisors":
                        problem(f"{user} (an agent) received Supervisors-only message {m}")
            if user.startswith("agent") and d.get("messageType") == "ChatStateChangeMessage":
                for p in d.get("chat", {}).get("participants", []):
                    count("agent participant visibility checked")
                    if p.get("visibility") == "Supervisors":
                        problem(f"{user} (an agent) is shown a Supervisors-only participant {p}")
            ref = d.get("referenceId")
            if ref is not None:
                count("referenceIds checked")
                if ref not in b.http.references:
                    problem(f"{user}: notification referenceId {ref} was never returned to {user} in an HTTP response: "
                            f"{json.dumps(d)[:200]}")
    # notification order on joining (DESIGN.md): supervisor PU, SC, MLU; accepting agent SC, PU, MLU
    for user, b in B.items():
        firsts = {}
        for channel, d in b.notifications():
            if channel != "/v2/me/chats" or not isinstance(d, dict):
                continue
            if d.get("messageType") == "ChatStateChangeMessage":
                key = d.get("chat", {}).get("id")
                kind = d.get("notificationType") + ("/" + d["chat"]["state"] if d.get("notificationType") == "StatusChange" else "")
            else:
                key = d.get("chatUri", "").rsplit("/", 1)[-1]
                kind = "MessageLogUpdated"
            if kind == "StatusChange/Invited":
                firsts[key] = []  # an offer: the sequence starts at Accept
                continue
            firsts.setdefault(key, [])
            if len(firsts[key]) < 3:
                firsts[key].append(kind)
        for chat_id, seq in firsts.items():
            if not seq:
                continue
            count("join sequences checked")
            want = (["ParticipantsUpdated", "StatusChange/Chatting", "MessageLogUpdated"] if user.startswith("supervisor")
                    else ["StatusChange/Chatting", "ParticipantsUpdated", "MessageLogUpdated"])
            if seq[0] in ("ParticipantsUpdated", "StatusChange/Chatting") and seq != want:
                problem(f"{user}: chat {chat_id} starts with {seq}, DESIGN.md expects {want}")
    print(f"  supervisor modes exercised: {sorted({m for _, _, m, _ in SUPERVISOR_MODES})}; "
          f"switch sequence on chat 1: {[m for c, _, m, _ in SUPERVISOR_MODES if c == SUPERVISOR_MODES[0][0]]}")
    # every notification of supervisor1 on chat states Chatting: capability set is one of the modes
    for channel, d in B["supervisor1"].notifications() if "supervisor1" in B else []:
        if isinstance(d, dict) and d.get("messageType") == "ChatStateChangeMessage" and d.get("chat", {}).get("state") == "Chatting":
            count("supervisor capability sets checked")
            caps = sorted(d["chat"]["capabilities"])
            if caps not in [sorted(c) for c, _, _ in MODES.values()]:
                problem(f"supervisor1 Chatting notification with capabilities outside the table: {caps}")


# ------------------------------------------------------------------------------------ main
def main():
    global VERBOSE
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--no-server", action="store_true")
    ap.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "gws-conform"))
    ap.add_argument("--port", type=int, default=18777)
    ap.add_argument("--seed", default=os.path.join(ROOT, "..", "shared", "reference", "000_d1c10fa4de768763.txt"))
    ap.add_argument("--dump", metavar="FILE")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    VERBOSE = args.verbose

    print("1. schemas")
    schemas = load_schemas()
    registry = check_schema_files(schemas)
    v = Validators(registry)
    print("2. fixtures and errata")
    fixtures = check_fixtures(v)
    check_seed(args.seed, fixtures)
    print("3. documented samples and deliberately wrong instances")
    check_samples(v, fixtures)
    if not args.no_server:
        print("4. reference server")
        drive_server(v, args.binary, args.port, args.dump)
    print()
    print("counts:")
    for k in sorted(COUNTS):
        print(f"  {k}: {COUNTS[k]}")
    if OBSERVATIONS:
        print(f"observations (not failures): {len(OBSERVATIONS)}")
        for o in dict.fromkeys(OBSERVATIONS):
            print("  -", o)
    if PROBLEMS:
        print(f"\nFAILED: {len(PROBLEMS)} problem(s)")
        return 1
    print("\nOK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
