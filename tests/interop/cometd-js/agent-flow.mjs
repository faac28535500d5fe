// Drives a GWS Chat API server with the official CometD JavaScript client (long-polling):
// agent1 and supervisor1 each handshake and subscribe with their own CometD client, a customer
// requests a chat through REST, agent1 is invited and accepts while supervisor1 monitors, and
// the customer's text reaches agent1 through CometD.
//
// Usage: node agent-flow.mjs BASE_URL [CUSTOMER_TEXT]
//
// stdout: exactly one JSON line per received notification, {"actor", "channel", "data"}, for the
//         caller (tests/cometd_js_interop.rs) to check independently of this script.
// stderr: progress, the Bayeux trace of both clients, and on failure what was awaited and what
//         had been received.
// Exit status 0 when the whole flow completed and both clients disconnected cleanly.

import { Worker } from "node:worker_threads";

const [baseArg, customerText = "Hello from the customer, via the CometD interop test"] = process.argv.slice(2);
if (!baseArg) {
    console.error("usage: node agent-flow.mjs BASE_URL [CUSTOMER_TEXT]");
    process.exit(2);
}
const base = baseArg.replace(/\/+$/, "");

const PASSWORD = "password";
const CONTACT_CENTER_ID = "default";
// Generous compared with the server's behaviour (notifications are pushed as soon as a long poll
// is held, and the test server cycles long polls every couple of seconds) yet well under the
// Rust test's own deadline, so this script, not the test harness, explains a hang.
const WAIT_MS = 15_000;
const REST_TIMEOUT_MS = 10_000;
const OVERALL_MS = 60_000;

const log = (...args) => console.error("[flow]", ...args);

// --- REST -----------------------------------------------------------------------------------

function basic(user) {
    return "Basic " + Buffer.from(`${user}:${PASSWORD}`).toString("base64");
}

/// One REST call; resolves with the parsed body, rejects unless HTTP 2xx and statusCode 0.
async function rest(method, path, { user, body, headers = {} } = {}) {
    const allHeaders = { ...headers };
    if (user) {
        allHeaders.Authorization = basic(user);
    }
    if (body !== undefined) {
        allHeaders["Content-Type"] = "application/json";
    }
    const what = `${method} ${path}${user ? ` as ${user}` : ""}${body !== undefined ? ` ${JSON.stringify(body)}` : ""}`;
    let response;
    try {
        response = await fetch(base + path, {
            method,
            headers: allHeaders,
            body: body === undefined ? undefined : JSON.stringify(body),
            signal: AbortSignal.timeout(REST_TIMEOUT_MS),
        });
    } catch (error) {
        throw new Error(`${what}: request failed: ${error.message}`);
    }
    const text = await response.text();
    log(`${what} -> HTTP ${response.status} ${text}`);
    let parsed;
    try {
        parsed = JSON.parse(text);
    } catch {
        throw new Error(`${what}: HTTP ${response.status}, body is not JSON: ${text}`);
    }
    if (!response.ok || parsed.statusCode !== 0) {
        throw new Error(`${what}: expected HTTP 2xx with statusCode 0, got HTTP ${response.status}: ${text}`);
    }
    return parsed;
}

// --- notifications --------------------------------------------------------------------------

/// Which of the GWS chat notifications this is: "StatusChange", "ParticipantsUpdated",
/// "MessageLogUpdated" or, for anything else, its messageType/notificationType pair.
function kind(data) {
    if (data && data.messageType === "MessageLogUpdated") {
        return "MessageLogUpdated";
    }
    if (data && (data.notificationType === "StatusChange" || data.notificationType === "ParticipantsUpdated")) {
        return data.notificationType;
    }
    return `${data && data.messageType}/${data && data.notificationType}`;
}

/// The chat a notification is about: ChatStateChangeMessage carries the chat resource, while
/// MessageLogUpdated only carries its path ("/chats/{id}"), as in the GWS documentation.
function chatIdOf(data) {
    if (data && data.chat && data.chat.id) {
        return data.chat.id;
    }
    if (data && typeof data.chatPath === "string" && data.chatPath.startsWith("/chats/")) {
        return data.chatPath.slice("/chats/".length);
    }
    return undefined;
}

function describe(notification) {
    const d = notification.data || {};
    const state = d.chat && d.chat.state;
    return `${notification.channel} ${kind(d)} chat=${chatIdOf(d)}${state ? ` state=${state}` : ""}`;
}

/// One user's official CometD client, hosted in its own worker thread (see cometd-worker.mjs).
class Actor {
    #waiters = new Set();
    #anomaly = null;
    #ready = null;
    #disconnected = null;
    #expectExit = false;
    #connects = 0;
    notifications = [];

    constructor(name, channel) {
        this.name = name;
        this.worker = new Worker(new URL("./cometd-worker.mjs", import.meta.url), {
            workerData: { actor: name, url: `${base}/api/v2/notifications`, user: name, password: PASSWORD, channel },
        });
        this.worker.on("message", (event) => this.#onEvent(event));
        this.worker.on("error", (error) => this.#fail(`its worker crashed: ${error.stack || error}`));
        this.worker.on("exit", (code) => {
            if (!this.#expectExit) {
                this.#fail(`its worker exited unexpectedly with code ${code}`);
            }
        });
    }

    #onEvent(event) {
        switch (event.type) {
            case "ready":
                this.#ready = event;
                break;
            case "notification": {
                const notification = { actor: this.name, channel: event.channel, data: event.data };
                this.notifications.push(notification);
                process.stdout.write(JSON.stringify(notification) + "\n");
                log(`${this.name} received ${describe(notification)}`);
                break;
            }
            case "connected":
                this.#connects = event.count;
                break;
            case "anomaly":
                this.#fail(`${event.what}: ${JSON.stringify(event.message)}`);
                break;
            case "disconnected":
                this.#disconnected = event;
                break;
        }
        for (const waiter of this.#waiters) {
            waiter.check();
        }
    }

    #fail(reason) {
        if (this.#anomaly === null) {
            this.#anomaly = reason;
            log(`${this.name}: ${reason}`);
        }
        for (const waiter of this.#waiters) {
            waiter.check();
        }
    }

    #received() {
        return this.notifications.length === 0
            ? "nothing"
            : this.notifications.map((n, i) => `\n    #${i} ${describe(n)}: ${JSON.stringify(n.data)}`).join("");
    }

    /// Resolves with the first value `probe()` returns other than undefined; rejects after
    /// `ms`, or as soon as the client reports an anomaly, naming `what` and what arrived.
    #until(what, probe, ms = WAIT_MS) {
        return new Promise((resolve, reject) => {
            const waiter = {
                check: () => {
                    if (this.#anomaly !== null) {
                        finish();
                        reject(new Error(`${this.name}: failed while waiting for ${what}: ${this.#anomaly}; received so far: ${this.#received()}`));
                        return;
                    }
                    const value = probe();
                    if (value !== undefined) {
                        finish();
                        resolve(value);
                    }
                },
            };
            const timer = setTimeout(() => {
                finish();
                reject(new Error(`${this.name}: timed out after ${ms} ms waiting for ${what}; received so far: ${this.#received()}`));
            }, ms);
            const finish = () => {
                clearTimeout(timer);
                this.#waiters.delete(waiter);
            };
            this.#waiters.add(waiter);
            waiter.check();
        });
    }

    ready() {
        return this.#until("the handshake and subscription to succeed", () => this.#ready ?? undefined);
    }

    /// Resolves once `count` /meta/connect replies have been successful.
    connects(count, ms) {
        return this.#until(`${count} successful /meta/connect replies (got ${this.#connects} so far)`,
            () => (this.#connects >= count ? true : undefined), ms);
    }

    /// The first notification (at or after index `from`) matching `predicate`, with its index.
    notification(what, predicate, from = 0) {
        return this.#until(what, () => {
            for (let i = from; i < this.notifications.length; i++) {
                if (predicate(this.notifications[i].data, this.notifications[i])) {
                    return { index: i, ...this.notifications[i] };
                }
            }
            return undefined;
        });
    }

    async disconnect() {
        this.worker.postMessage({ type: "disconnect" });
        const { reply } = await this.#until("the /meta/disconnect reply", () => this.#disconnected ?? undefined);
        if (reply !== null && !reply.successful) {
            throw new Error(`${this.name}: /meta/disconnect was not successful: ${JSON.stringify(reply)}`);
        }
        await this.stop();
    }

    async stop() {
        this.#expectExit = true;
        await this.worker.terminate();
    }
}

const isChat = (chatId) => (data) => chatIdOf(data) === chatId;

// --- the flow -------------------------------------------------------------------------------

async function flow(agent, supervisor) {
    // Both official clients handshake (long-polling) and subscribe.
    const [agentReady, supervisorReady] = await Promise.all([agent.ready(), supervisor.ready()]);
    for (const [actor, ready] of [[agent, agentReady], [supervisor, supervisorReady]]) {
        log(`${actor.name} connected: clientId=${ready.clientId} transport=${ready.transport}`);
        if (ready.transport !== "long-polling") {
            throw new Error(`${actor.name}: negotiated transport ${ready.transport}, expected long-polling`);
        }
    }

    // Let one held /meta/connect expire and be reissued before anything happens, so the
    // notifications below travel on a connect that followed a completed long-poll cycle. Connect
    // #1 returns at once; #2 is held for the advised timeout; its reply is the cycle. The wait
    // scales with the server's advice, so keep that short (the Rust test uses 2 s).
    await Promise.all([[agent, agentReady], [supervisor, supervisorReady]].map(([actor, ready]) => {
        const timeout = Number.isFinite(ready.timeout) ? ready.timeout : 0;
        return actor.connects(2, timeout + WAIT_MS);
    }));
    log(`both clients completed a held long-poll cycle (advised timeout ${agentReady.timeout} ms)`);

    // agent1 becomes Ready for chat, so the router can invite it.
    await rest("POST", "/api/v2/me", { user: "agent1", body: { operationName: "StartContactCenterSession", channels: ["chat"] } });
    await rest("POST", "/api/v2/me/channels/chat", { user: "agent1", body: { operationName: "Ready" } });

    // supervisor1 starts monitoring agent1 before any chat reaches agent1.
    const lookup = await rest("GET", "/api/v2/users?userName=agent1", { user: "supervisor1" });
    const agentUser = (lookup.users || []).find((u) => u.userName === "agent1");
    if (!agentUser || !agentUser.id) {
        throw new Error(`user lookup did not return agent1 with an id: ${JSON.stringify(lookup)}`);
    }
    await rest("POST", `/api/v2/users/${encodeURIComponent(agentUser.id)}/channels/chat`, {
        user: "supervisor1",
        body: { operationName: "Monitor", supervisorMonitoringMode: "AllChats" },
    });

    // A customer asks for a chat; it is routed to agent1.
    const customerHeaders = { ContactCenterId: CONTACT_CENTER_ID };
    const requested = await rest("POST", "/api/v2/chats", {
        headers: customerHeaders,
        body: { operationName: "RequestChat", nickname: "Chris", subject: "help" },
    });
    if (!requested.id) {
        throw new Error(`RequestChat returned no chat id: ${JSON.stringify(requested)}`);
    }

    const invited = await agent.notification(
        "a StatusChange notification with chat.state Invited and the Accept capability",
        (d) => kind(d) === "StatusChange" && d.chat && d.chat.state === "Invited" && (d.chat.capabilities || []).includes("Accept"),
    );
    const chatId = invited.data.chat.id;
    log(`agent1 invited to chat ${chatId}`);

    await rest("POST", `/api/v2/me/chats/${encodeURIComponent(chatId)}`, {
        user: "agent1",
        body: { operationName: "Accept", nickname: "Agent One" },
    });

    const after = invited.index + 1;
    await agent.notification(`a StatusChange notification for chat ${chatId} with state Chatting`,
        (d) => isChat(chatId)(d) && kind(d) === "StatusChange" && d.chat.state === "Chatting", after);
    await agent.notification(`a ParticipantsUpdated notification for chat ${chatId}`,
        (d) => isChat(chatId)(d) && kind(d) === "ParticipantsUpdated", after);
    await agent.notification(`a MessageLogUpdated notification for chat ${chatId}`,
        (d) => isChat(chatId)(d) && kind(d) === "MessageLogUpdated", after);

    // The supervisor's order is checked by the Rust test; here we only wait for all three.
    for (const expected of ["ParticipantsUpdated", "StatusChange", "MessageLogUpdated"]) {
        await supervisor.notification(`a ${expected} notification for chat ${chatId}`,
            (d) => isChat(chatId)(d) && kind(d) === expected);
    }

    // The customer writes; agent1 must see the text through CometD.
    const seen = agent.notifications.length;
    await rest("POST", `/api/v2/chats/${encodeURIComponent(requested.id)}`, {
        headers: customerHeaders,
        body: { operationName: "SendMessage", text: customerText },
    });
    await agent.notification(`a MessageLogUpdated notification for chat ${chatId} with a Text message ${JSON.stringify(customerText)}`,
        (d) => isChat(chatId)(d) && kind(d) === "MessageLogUpdated"
            && (d.messages || []).some((m) => m.type === "Text" && m.text === customerText),
        seen);
}

async function main() {
    const overall = setTimeout(() => {
        log(`FAILED: the flow did not finish within ${OVERALL_MS} ms`);
        process.exit(1);
    }, OVERALL_MS);

    const agent = new Actor("agent1", "/v2/me/chats");
    const supervisor = new Actor("supervisor1", "/v2/me/*");
    let failure = null;
    try {
        await flow(agent, supervisor);
    } catch (error) {
        failure = error;
    }
    // Disconnect cleanly in every case, so the server sees proper /meta/disconnects; when the
    // flow already failed, that failure is the one worth reporting.
    const results = await Promise.allSettled([agent.disconnect(), supervisor.disconnect()]);
    for (const result of results) {
        if (result.status === "rejected") {
            failure ??= result.reason;
            log(`disconnect problem: ${result.reason.message}`);
        }
    }
    await Promise.allSettled([agent.stop(), supervisor.stop()]);
    clearTimeout(overall);

    if (failure) {
        log(`FAILED: ${failure.message}`);
        process.exit(1);
    }
    log("OK: the flow completed and both clients disconnected");
    process.exit(0);
}

main().catch((error) => {
    log(`FAILED: ${error.stack || error}`);
    process.exit(1);
});
