// One official CometD JavaScript client (long-polling only), logged in as one user.
//
// Runs inside a worker thread started by agent-flow.mjs. A worker per user is not decoration:
// cometd-nodejs-client keeps one cookie jar per host for the whole JavaScript realm, so two
// clients in the same thread would share the server's JSESSIONID cookie and the supervisor's
// requests would carry the agent's session. A worker has its own realm, hence its own jar, just
// as two users would each have their own browser.
//
// Protocol with the parent (postMessage):
//   out: {type: "ready", clientId, transport, timeout}   handshake and subscribe both succeeded;
//                                                        timeout is the server's advice.timeout
//        {type: "connected", count}                     a /meta/connect reply was successful
//        {type: "notification", channel, data}          a message arrived on the subscription
//        {type: "anomaly", what, message}               something a well-behaved server never causes
//        {type: "disconnected", reply}                  the /meta/disconnect reply
//   in:  {type: "disconnect"}

import { parentPort, workerData } from "node:worker_threads";
import { adapt } from "cometd-nodejs-client";
import { CometD } from "cometd";

// Installs window.XMLHttpRequest (and window.WebSocket, which we unregister below).
adapt();
// adapt() aliases console.debug to console.log; the parent's stdout carries only the JSON
// notification lines, so every kind of library logging goes to stderr instead.
console.log = console.info = console.debug = console.error.bind(console);

const { actor, url, user, password, channel } = workerData;

// Bayeux failure messages synthesized by CometD reference its transport objects (cyclic, with
// functions), which neither JSON.stringify nor postMessage accept; keep only the data.
function plain(value) {
    const seen = new WeakSet();
    return JSON.parse(JSON.stringify(value, (key, v) => {
        if (v instanceof Error) {
            return { error: v.name, message: v.message };
        }
        if (typeof v === "object" && v !== null) {
            if (seen.has(v)) {
                return undefined;
            }
            seen.add(v);
        }
        return v;
    }) ?? "null");
}
const post = (message) => parentPort.postMessage(plain(message));
const trace = (what, value) => console.error(`[${actor}] ${what} ${JSON.stringify(plain(value))}`);

// The Bayeux trace below only sees replies CometD could parse. Log the HTTP status and raw body
// of every response that was not a 200 as well, so a server-side rejection is visible verbatim.
const AdaptedXMLHttpRequest = window.XMLHttpRequest;
window.XMLHttpRequest = class extends AdaptedXMLHttpRequest {
    #url;
    #onload;
    open(method, uri) {
        this.#url = String(uri);
        super.open(method, uri);
    }
    set onload(callback) {
        this.#onload = callback;
    }
    get onload() {
        return () => {
            if (this.status !== 200) {
                trace(`HTTP ${this.status} from POST ${this.#url}, body:`, this.responseText);
            }
            if (this.#onload) {
                this.#onload();
            }
        };
    }
};

const cometd = new CometD(actor);
// The reference server speaks Bayeux over long-polling only; removing the other transports makes
// the handshake offer exactly ["long-polling"], so this test cannot pass on another transport.
cometd.unregisterTransport("websocket");
cometd.unregisterTransport("callback-polling");
cometd.configure({
    url,
    // GWS authenticates Bayeux requests like REST ones: HTTP Basic on every request.
    requestHeaders: { Authorization: "Basic " + Buffer.from(`${user}:${password}`).toString("base64") },
    logLevel: "warn",
});
// Every Bayeux message in both directions goes to stderr, which the Rust test prints on failure:
// that is the record of exactly what the client sent and what it got back.
cometd.registerExtension("trace", {
    outgoing(message) { trace("sent", message); return message; },
    incoming(message) { trace("received", message); return message; },
});

let disconnecting = false;
// Any unsuccessful meta reply before we disconnect is a server problem: on a healthy server the
// held /meta/connect simply returns successfully each long-poll timeout and is reissued.
cometd.addListener("/meta/unsuccessful", (message) => {
    if (!disconnecting) {
        post({ type: "anomaly", what: `unsuccessful ${message.channel} reply`, message });
    }
});
// A second handshake silently drops our subscription (CometD clears subscriptions on
// re-handshake), so notifications would be lost; report it rather than hide it.
cometd.addListener("/meta/handshake", (message) => {
    if (message.successful && message.reestablish) {
        post({ type: "anomaly", what: "the client had to re-handshake", message });
    }
});

// Counting successful connects lets the parent see the long-poll cycle: the first connect
// returns at once (CometD asks for advice.timeout 0), later ones are held by the server.
let connects = 0;
cometd.addListener("/meta/connect", (message) => {
    if (message.successful) {
        post({ type: "connected", count: ++connects });
    }
});

cometd.handshake((reply) => {
    if (!reply.successful) {
        return; // Reported by the /meta/unsuccessful listener.
    }
    const transport = cometd.getTransport() ? cometd.getTransport().type : null;
    const timeout = reply.advice && reply.advice.timeout;
    cometd.subscribe(
        channel,
        (message) => post({ type: "notification", channel: message.channel, data: message.data }),
        (subscribeReply) => {
            if (subscribeReply.successful) {
                post({ type: "ready", clientId: cometd.getClientId(), transport, timeout });
            }
        },
    );
});

parentPort.on("message", (command) => {
    if (command.type === "disconnect") {
        disconnecting = true;
        if (cometd.isDisconnected()) {
            post({ type: "disconnected", reply: null });
            return;
        }
        cometd.disconnect((reply) => post({ type: "disconnected", reply }));
    }
});
