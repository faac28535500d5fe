// A GWS-shaped notification server built on the official CometD server for NodeJS
// (cometd-nodejs-server, long-polling), for gws-conform's own Bayeux client to talk to. Run by
// tests/cometd_server_interop.rs; see that file for what the test proves.
//
// Usage: node gws-notifier.mjs [--port=0] [--timeout=MS] [--interval=MS] [--max-interval=MS]
//                              [--sweep-period=MS] [--messages=N] [--deadline=MS]
// Every option may also be given as an environment variable: GWS_NOTIFIER_PORT,
// GWS_NOTIFIER_TIMEOUT, ... (an argument wins over the variable).
//
// The CometD server answers at /api/v2/notifications (where GWS has it), with the given long-poll
// `timeout` and `interval`. What happens is scripted and driven by the client:
//   1. when a first session has subscribed to /v2/me/chats and CometD holds its connect (so its
//      first connect, which the client asks not to be held, was answered with CometD's advice),
//      about two thirds of the messages are published on that channel: a burst, spaced messages,
//      an idle stretch of more than two long-poll timeouts (connects held and answered empty),
//      then a few smaller bursts;
//   2. once all of them have been delivered (a connect is held on an empty queue), the session
//      is made to expire the way a slow network makes it expire: CometD's `maxInterval` is
//      lowered from its default (10 s, which no client slowed by a busy machine reaches) to
//      --max-interval, and the client's next /meta/connect is kept from CometD until CometD's own
//      sweeper has removed the session, then handed over, so CometD answers it as an unknown
//      client;
//   3. as soon as a second session has subscribed to /v2/me/chats, the rest is published (a
//      burst, then spaced messages), so messages are waiting when its first connect arrives;
//      once they are delivered, one connect is held the full timeout and answered empty;
//   4. the script exits 0 once the client has sent /meta/disconnect and got its reply.
//
// stdout: one JSON object per line, with an "event" field:
//   {"event":"listening","port":P,"path":"/api/v2/notifications"}
//   {"event":"handshake","clientId":C}          a session was created
//   {"event":"subscribed","clientId":C,"channel":"/v2/me/chats"}
//   {"event":"published","seq":N,"phase":1|2,"channel":"/v2/me/chats","data":{...}}
//   {"event":"stalled","clientId":C}            a /meta/connect of C is kept from CometD
//   {"event":"expired","clientId":C}            CometD's sweeper removed session C
//   {"event":"done","published":N}              every message has been published and delivered,
//                                               and a last connect held and answered empty
//   {"event":"disconnected","clientId":C}       C's /meta/disconnect was answered; exiting
// stderr: progress, and on failure why. Exit status 0 after the disconnect; 1 on any failure,
// including the deadline passing (so this script can never hang CI), 2 on bad usage.

import http from "node:http";
import cometd from "cometd-nodejs-server";

const PATH = "/api/v2/notifications";
const CHANNEL = "/v2/me/chats";

const DEFAULTS = {
    port: 0,
    timeout: 1500,
    interval: 200,
    "max-interval": 300,
    "sweep-period": 100,
    messages: 300,
    deadline: 25_000,
};

function usage(problem) {
    console.error(`gws-notifier: ${problem}`);
    console.error("usage: node gws-notifier.mjs " +
        Object.keys(DEFAULTS).map((name) => `[--${name}=N]`).join(" "));
    process.exit(2);
}

function options() {
    const result = {};
    for (const [name, fallback] of Object.entries(DEFAULTS)) {
        const variable = "GWS_NOTIFIER_" + name.toUpperCase().replaceAll("-", "_");
        result[name] = process.env[variable] ?? fallback;
    }
    for (const arg of process.argv.slice(2)) {
        const match = /^--([a-z-]+)=(.*)$/.exec(arg);
        if (!match || !(match[1] in DEFAULTS)) {
            usage(`unknown argument ${arg}`);
        }
        result[match[1]] = match[2];
    }
    for (const [name, value] of Object.entries(result)) {
        const number = Number(value);
        if (!Number.isInteger(number) || number < 0) {
            usage(`--${name} must be a non-negative integer, not ${value}`);
        }
        result[name] = number;
    }
    return result;
}

const opts = options();
const log = (...args) => console.error("[gws-notifier]", ...args);
const emit = (event) => process.stdout.write(JSON.stringify(event) + "\n");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function fail(why) {
    log(`FAILED: ${why}`);
    // Let stdout drain first: the test reads it to explain what had happened.
    process.stdout.write("", () => process.exit(1));
}

// Not unref'd: this timer is the guarantee that the script ends, whatever else waits.
setTimeout(() => fail(`deadline of ${opts.deadline} ms passed`), opts.deadline);

// --- the notifications -------------------------------------------------------------------------

const BASE = "http://gws.example:8090";
const AGENT = {
    nickname: "agent1",
    type: "Agent",
    uri: `${BASE}/api/v2/users/a1000000000000000000000000000001`,
    visibility: "All",
    participantId: "00AF5367D3D0000A",
};
const CUSTOMER = {
    nickname: "customer1",
    type: "Customer",
    participantId: "00AF5367D3AD0008",
    visibility: "All",
};

/// The n-th (from 0) notification: a chat's life as agent1 sees it on /v2/me/chats, over and
/// over: StatusChange to Chatting, ParticipantsUpdated, then Text messages in MessageLogUpdated.
/// Every notification differs from every other (chat id, message index and text), so a
/// duplicate cannot pass for a new one.
function notification(n) {
    const chatId = `0001CHAT${String(Math.floor(n / 10)).padStart(8, "0")}`;
    const step = n % 10;
    const chat = (state) => ({
        id: chatId,
        uri: `${BASE}/api/v2/chats/${chatId}`,
        state,
        chatType: "Inbound",
        capabilities: ["Complete", "SendMessage", "SendStartTypingNotification", "SendStopTypingNotification"],
        participants: [AGENT, CUSTOMER],
    });
    if (step === 0) {
        return { messageType: "ChatStateChangeMessage", notificationType: "StatusChange", chat: chat("Chatting") };
    }
    if (step === 1) {
        return { messageType: "ChatStateChangeMessage", notificationType: "ParticipantsUpdated", chat: chat("Chatting") };
    }
    const millis = 1_700_000_000_000 + n * 1000;
    return {
        messageType: "MessageLogUpdated",
        notificationType: "NewMessages",
        chatUri: `${BASE}/api/v2/chats/${chatId}`,
        chatPath: `/chats/${chatId}`,
        messages: [{
            index: step - 1,
            from: step % 2 ? CUSTOMER : AGENT,
            type: "Text",
            text: `notification #${n}, line ${step - 1} of chat ${chatId}`,
            timestamp: new Date(millis).toISOString().replace("T", " ").replace("Z", "+0000"),
            timestampSeconds: millis,
            visibility: "All",
        }],
    };
}

// --- the CometD server -------------------------------------------------------------------------

const server = cometd.createCometDServer({
    timeout: opts.timeout,
    interval: opts.interval,
    sweepPeriod: opts["sweep-period"],
});
const chats = server.createServerChannel(CHANNEL);

/// Ids of the sessions that subscribed to CHANNEL, in order.
const subscribers = [];
let published = 0;
/// The client id whose next /meta/connect is to be kept from CometD until its session expired.
let stallFor = null;
/// Ids of the sessions CometD's sweeper removed.
const expiredIds = new Set();
/// Called with the id of each session the sweeper removes, while a stall waits for one.
let onExpired = null;

server.addListener("sessionAdded", (session) => {
    emit({ event: "handshake", clientId: session.id });
});
server.addListener("sessionRemoved", (session, timeout) => {
    log(`session ${session.id} removed (${timeout ? "expired" : "disconnected"})`);
    if (timeout) {
        emit({ event: "expired", clientId: session.id });
        expiredIds.add(session.id);
        onExpired?.(session.id);
    }
});
chats.addListener("subscribed", (channel, session) => {
    emit({ event: "subscribed", clientId: session.id, channel: channel.name });
    subscribers.push(session.id);
    // Publishing starts on the next tick, after the subscribe reply is on its way: nothing is
    // published to a subscription the client does not know about yet.
    if (subscribers.length === 1) {
        setImmediate(() => firstSession(session).catch((e) => fail(e.stack || String(e))));
    } else if (subscribers.length === 2) {
        setImmediate(() => secondSession(session).catch((e) => fail(e.stack || String(e))));
    } else {
        fail(`unexpected subscription #${subscribers.length} by ${session.id}`);
    }
});

function publish(phase, count) {
    for (let i = 0; i < count; i++) {
        const data = notification(published);
        emit({ event: "published", seq: published, phase, channel: CHANNEL, data });
        chats.publish(null, data);
        published++;
    }
}

async function spaced(phase, count, gap) {
    for (let i = 0; i < count; i++) {
        publish(phase, 1);
        await sleep(gap);
    }
}

/// Resolves once `session` has a /meta/connect held on an empty queue: everything published
/// before has been written to the client.
function drained(session) {
    return new Promise((resolve) => {
        const listener = () => {
            session.removeListener("suspended", listener);
            resolve();
        };
        session.addListener("suspended", listener);
    });
}

async function firstSession(session) {
    await drained(session);
    const total = Math.floor((opts.messages * 2) / 3);
    const burst = Math.floor(total * 0.4);
    const spread = Math.floor(total * 0.2);
    const tail = total - burst - spread;
    publish(1, burst);
    await spaced(1, spread, 30);
    // More than two long-poll timeouts: at least two connects are held the full `timeout` and
    // answered empty, without advice, and the client must carry on as before.
    await sleep(opts.timeout * 2 + opts.timeout / 2);
    for (let i = 0; i < 4; i++) {
        publish(1, Math.floor(tail / 4) + (i < tail % 4 ? 1 : 0));
        await sleep(120);
    }
    await drained(session);
    log(`all ${published} phase-1 messages delivered to ${session.id}; letting it expire`);
    // CometD reads maxInterval from its options whenever it schedules an expiry, that is when
    // it has answered a request: from the held connect's reply on, the session has this long.
    server.options.maxInterval = opts["max-interval"];
    stallFor = session.id;
}

async function secondSession(session) {
    const rest = opts.messages - published;
    const burst = Math.floor(rest / 2);
    publish(2, burst);
    await spaced(2, rest - burst, 20);
    await drained(session);
    // A held connect answered empty by the new session too, before the client disconnects.
    await sleep(opts.timeout + opts.timeout / 2);
    emit({ event: "done", published });
    log(`${session.id} idled one long-poll timeout; waiting for the client to disconnect`);
}

/// Delays a /meta/connect of session `clientId`, as a slow network would, until CometD's sweeper
/// has removed that session.
async function stall(clientId) {
    emit({ event: "stalled", clientId });
    stallFor = null;
    if (!expiredIds.has(clientId)) {
        await expiry(clientId);
    }
    // Back to CometD's default, so that the next session is not expired by accident.
    delete server.options.maxInterval;
}

/// Resolves once the sweeper has removed session `clientId`; throws after a generous limit.
async function expiry(clientId) {
    const limit = 10 * (opts.interval + opts["max-interval"] + opts["sweep-period"]);
    const removed = new Promise((resolve) => {
        onExpired = (id) => id === clientId && resolve(true);
    });
    const gaveUp = sleep(limit).then(() => false);
    const expired = await Promise.race([removed, gaveUp]);
    onExpired = null;
    if (!expired) {
        throw new Error(`session ${clientId} did not expire within ${limit} ms`);
    }
}

const httpServer = http.createServer((request, response) => {
    if (request.method !== "POST" || new URL(request.url, "http://host").pathname !== PATH) {
        response.statusCode = 404;
        response.end();
        return;
    }
    // Read the body here rather than in CometD (which accepts a pre-parsed `request.body`), to
    // see which messages it holds.
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk) => { body += chunk; });
    request.on("end", async () => {
        let messages;
        try {
            messages = JSON.parse(body);
        } catch {
            log(`not JSON: ${body}`);
            response.statusCode = 400;
            response.end();
            return;
        }
        const list = Array.isArray(messages) ? messages : [messages];
        const connect = list.find((m) => m.channel === "/meta/connect");
        const disconnect = list.find((m) => m.channel === "/meta/disconnect");
        if (connect && stallFor !== null && connect.clientId === stallFor) {
            try {
                await stall(connect.clientId);
            } catch (e) {
                fail(e.message);
                return;
            }
        }
        if (disconnect) {
            response.on("finish", () => {
                emit({ event: "disconnected", clientId: disconnect.clientId });
                process.stdout.write("", () => process.exit(0));
            });
        }
        request.body = list;
        server.handle(request, response);
    });
});

httpServer.listen(opts.port, "127.0.0.1", () => {
    const { port } = httpServer.address();
    log(`CometD at http://127.0.0.1:${port}${PATH}, timeout ${opts.timeout} ms, interval ${opts.interval} ms`);
    emit({ event: "listening", port, path: PATH });
});
