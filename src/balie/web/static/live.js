/* Balie's live inbox: the agent's live socket (docs/chat-protocol.md, "Agents: the live
 * feed") and the presence control in the header. No framework, no build step; the CSP
 * allows no inline script, so everything the pages do in JavaScript is here.
 *
 * The pages stay server-rendered: a change on the socket makes this file ask the server
 * for the fresh fragment through htmx (the inbox list, or the messages after the last one
 * shown), it never builds rows itself.
 */
(function () {
  "use strict";

  var RETRY_FIRST = 1000; // ms; doubled after every failed attempt
  var RETRY_MAX = 30000;
  var SILENT_MAX = 65000; // the server pings every 20 s; this long without a frame is dead
  var REFRESH_DELAY = 250; // a burst of events costs one inbox refresh
  var FALLBACK_POLL = 30000; // the conversation page asks itself while the socket is down
  var TYPING_IDLE = 2500; // as the widget: "on" once, again while typing goes on, "off" after a pause
  var TYPING_REPEAT = 8000;
  var CUSTOMER_TYPING_TIMEOUT = 15000; // an "off" that never came

  function number(value) {
    var n = parseInt(value, 10);
    return isNaN(n) ? 0 : n;
  }

  // ------------------------------------------------------------------ presence control

  function csrfToken(form) {
    var field = form.querySelector("input[name=csrf]");
    return field ? field.value : "";
  }

  function setupPresence() {
    var form = document.getElementById("presence");
    if (!form) return null;
    var status = form.querySelector("select[name=status]");
    var capacity = form.querySelector("input[name=capacity]");
    var note = form.querySelector(".presence-note");
    var save = form.querySelector(".presence-save");
    var noteTimer = null;
    var sending = null;

    function show(value) {
      form.className = form.className.replace(/\bpresence-(online|away|offline)\b/g, "").trim();
      form.classList.add("presence-" + value);
      status.value = value;
    }

    function say(text) {
      clearTimeout(noteTimer);
      note.textContent = text;
      if (text) noteTimer = setTimeout(function () { note.textContent = ""; }, 4000);
    }

    function put() {
      var wanted = { status: status.value };
      if (capacity.value !== "" && capacity.checkValidity()) wanted.capacity = number(capacity.value);
      var request = fetch("/api/v1/presence", {
        method: "PUT",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken(form) },
        body: JSON.stringify(wanted),
      })
        .then(function (answer) {
          if (!answer.ok) throw new Error("status " + answer.status);
          return answer.json();
        })
        .then(function (now) {
          if (sending !== request) return; // a newer choice is on its way
          show(now.status);
          capacity.value = now.capacity;
          say(form.dataset.textSaved);
        })
        .catch(function () {
          if (sending === request) say(form.dataset.textFailed);
        });
      sending = request;
    }

    // With this script the choice applies at once; the button is for browsers without it.
    if (save) save.hidden = true;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      put();
    });
    status.addEventListener("change", put);
    capacity.addEventListener("change", function () {
      if (capacity.checkValidity()) put();
    });
    return { show: show, agentId: number(form.dataset.agentId) };
  }

  // ------------------------------------------------------------------ the inbox list

  function inboxRefresher() {
    var timer = null;
    var busy = 0; // htmx requests that swap #inbox: a filter change, or our own refresh

    document.addEventListener("htmx:beforeRequest", function (event) {
      if (event.detail.target && event.detail.target.id === "inbox") busy++;
    });
    document.addEventListener("htmx:afterRequest", function (event) {
      if (event.detail.target && event.detail.target.id === "inbox") busy = Math.max(0, busy - 1);
    });

    function typingInFilters(box) {
      var active = document.activeElement;
      return (
        active &&
        box.contains(active) &&
        active.matches("input[type=text], input[type=search]") &&
        active.value !== active.defaultValue
      );
    }

    function focusKey(box) {
      var active = document.activeElement;
      if (!active || !box.contains(active)) return null;
      if (active.id) return "#" + CSS.escape(active.id);
      var href = active.getAttribute("href");
      if (href) return '[href="' + CSS.escape(href) + '"]';
      if (active.name) return '[name="' + CSS.escape(active.name) + '"][value="' + CSS.escape(active.value) + '"]';
      return null;
    }

    function refresh() {
      timer = null;
      var box = document.getElementById("inbox");
      if (!box || !window.htmx) return;
      if (busy || typingInFilters(box)) {
        // Never under a filter change on its way, nor over a tag half typed.
        later(1000);
        return;
      }
      var key = focusKey(box);
      window.htmx
        .ajax("GET", location.pathname + location.search, { target: "#inbox", swap: "outerHTML" })
        .then(function () {
          var again = key && document.querySelector("#inbox " + key);
          if (again) again.focus({ preventScroll: true });
        });
    }

    function later(delay) {
      clearTimeout(timer);
      timer = setTimeout(refresh, delay);
    }

    return function () {
      later(REFRESH_DELAY);
    };
  }

  // ------------------------------------------------------------------ the conversation page

  function conversationView(thread, send) {
    var id = number(thread.dataset.conversationId);
    var typing = document.getElementById("typing");
    var changed = document.getElementById("changed");
    var reply = document.getElementById("reply-text");
    var loading = false;
    var again = false;
    var readSent = 0;
    var typingTimer = null;
    var typingSent = false;
    var typingSentAt = 0;

    function marker() {
      return document.querySelector(".timeline .timeline-poll");
    }

    function shownSeq() {
      var m = marker();
      return m ? number(m.dataset.after) : 0;
    }

    function sendRead() {
      var seq = shownSeq();
      if (seq > readSent && document.visibilityState === "visible") {
        if (send({ type: "read", conversation_id: id, seq: seq })) readSent = seq;
      }
    }

    function customerTyping(on) {
      if (!typing) return;
      clearTimeout(customerTyping.timer);
      typing.hidden = !on;
      if (on) customerTyping.timer = setTimeout(customerTyping, CUSTOMER_TYPING_TIMEOUT, false);
    }

    function load() {
      var m = marker();
      if (!m || !window.htmx) return;
      if (loading) {
        // One request at a time (two would both ask after the same message); what
        // arrived meanwhile is asked for once this one is in.
        again = true;
        return;
      }
      loading = true;
      var before = shownSeq();
      var safety = setTimeout(done, 5000); // should htmx never answer at all
      function finished(e) {
        // htmx reports on the body once the swap has taken the marker out of the page,
        // so listen there and pick out this request.
        var d = e.detail || {};
        if (d.elt === m || (d.requestConfig && d.requestConfig.elt === m)) done();
      }
      function done() {
        clearTimeout(safety);
        document.removeEventListener("htmx:afterRequest", finished);
        if (!loading) return;
        loading = false;
        if (shownSeq() > before) {
          customerTyping(false); // what they typed has arrived
          sendRead();
        }
        if (again) {
          again = false;
          load();
        }
      }
      document.addEventListener("htmx:afterRequest", finished);
      window.htmx.trigger(m, "live-refresh");
    }

    function stopTyping() {
      clearTimeout(typingTimer);
      typingTimer = null;
      if (typingSent) {
        typingSent = false;
        send({ type: "typing", conversation_id: id, on: false });
      }
    }

    if (reply) {
      // Only the reply box: what is typed in an internal note is not the customer's business.
      reply.addEventListener("input", function () {
        var now = Date.now();
        if (reply.value.trim() && (!typingSent || now - typingSentAt > TYPING_REPEAT)) {
          if (send({ type: "typing", conversation_id: id, on: true })) {
            typingSent = true;
            typingSentAt = now;
          }
        }
        clearTimeout(typingTimer);
        typingTimer = setTimeout(stopTyping, TYPING_IDLE);
      });
      if (reply.form) reply.form.addEventListener("submit", stopTyping);
    }
    document.addEventListener("visibilitychange", sendRead);

    function differs(card) {
      var tags = (card.tags || []).join(" ");
      return (
        card.status !== thread.dataset.status ||
        String(card.owner_id || "") !== thread.dataset.owner ||
        tags !== thread.dataset.tags
      );
    }

    return {
      id: id,
      load: load,
      onOpen: function () {
        readSent = 0;
        typingSent = false;
        sendRead();
      },
      onClose: function () {
        customerTyping(false);
      },
      onEvent: function (card, action) {
        if (card.id !== id) return;
        if (number(card.last_seq) > shownSeq()) load();
        // A reply's mail was sent, failed or queued again: its line says so at once.
        var lines = document.getElementById("mail-refresh");
        if (lines && window.htmx && String(action || "").indexOf("mail.") === 0) {
          window.htmx.trigger(lines, "mail-refresh");
        }
        refreshPanels(String(action || ""));
        if (changed && differs(card)) changed.hidden = false;
      },
      onTyping: function (frame) {
        if (frame.conversation_id === id && frame.who === "customer") customerTyping(!!frame.on);
      },
    };
  }

  // The side panels of a conversation (SLA, goodwill, safety, callbacks, incidents) load
  // by htmx and reload on "<panel>-refresh"; an event's action says which one changed.
  var PANEL_OF = {
    sla: "sla",
    message: "sla",
    conversation: "sla",
    goodwill: "goodwill",
    abuse: "safety",
    customer: "safety",
    callback: "callbacks",
    incident: "incidents",
  };

  function refreshPanels(action) {
    var panel = PANEL_OF[action.split(".")[0]];
    if (panel && window.htmx) window.htmx.trigger(document.body, panel + "-refresh");
  }

  // ------------------------------------------------------------------ alerts

  // A breached SLA, an approval to decide, a colleague asking for help: shown at once in a
  // corner of whatever page the agent has open, and counted on the Alerts link.
  function alertsView() {
    var box = document.getElementById("alerts-live");
    var counter = document.getElementById("alerts-count");
    if (!box) return null;
    // The alerts open when the page was made (the page says which), then those that came.
    var open = {};
    String((counter && counter.dataset.open) || "").split(" ").forEach(function (id) {
      if (number(id)) open[number(id)] = true;
    });

    function count() {
      if (!counter) return;
      var n = Object.keys(open).length;
      counter.textContent = n ? String(n) : "";
      counter.hidden = !n;
    }

    function show(alert) {
      var item = document.createElement("p");
      item.className = "alert-toast alert-" + String(alert.kind || "").replace(/[^a-z_]/g, "");
      item.setAttribute("role", "status");
      var text = document.createElement(alert.conversation_id ? "a" : "span");
      if (alert.conversation_id) text.href = "/conversations/" + number(alert.conversation_id);
      text.textContent = String(alert.text || "");
      item.appendChild(text);
      var close = document.createElement("button");
      close.type = "button";
      close.className = "link";
      close.textContent = box.dataset.textClose || "×";
      close.addEventListener("click", function () {
        item.remove();
      });
      item.appendChild(close);
      box.appendChild(item);
      while (box.children.length > 5) box.removeChild(box.firstChild);
    }

    return function (frame) {
      var alert = frame.alert || {};
      var id = number(alert.id);
      if (frame.action === "alert.done" || alert.done_at) {
        delete open[id];
        count();
        return;
      }
      if (open[id]) return;
      open[id] = true;
      count();
      show(alert);
    };
  }

  // ------------------------------------------------------------------ the live socket

  function follow(live, presence) {
    var after = number(live.dataset.liveCursor);
    var text = live.querySelector(".live-text");
    var socket = null;
    var welcomed = false;
    var attempts = 0;
    var retryTimer = null;
    var heardAt = 0;
    var stopped = false;
    var thread = document.querySelector(".thread[data-conversation-id]");
    var inbox = document.getElementById("inbox") ? inboxRefresher() : null;
    var conversation = null;
    var alerts = alertsView();

    function state(name) {
      live.hidden = false;
      live.dataset.state = name;
      var wanted = live.dataset["text" + name.charAt(0).toUpperCase() + name.slice(1)] || "";
      if (text.textContent !== wanted) text.textContent = wanted;
    }

    function send(frame) {
      if (!socket || !welcomed || socket.readyState !== WebSocket.OPEN) return false;
      socket.send(JSON.stringify(frame));
      return true;
    }

    function address() {
      return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/v1/live";
    }

    function connect() {
      retryTimer = null;
      if (stopped) return;
      var ws = new WebSocket(address());
      socket = ws;
      welcomed = false;
      heardAt = Date.now();
      ws.onopen = function () {
        if (ws === socket) ws.send(JSON.stringify({ type: "hello", after: after }));
        else ws.close(); // given up on while it was connecting
      };
      ws.onmessage = function (message) {
        if (ws !== socket) return;
        heardAt = Date.now();
        var frame;
        try {
          frame = JSON.parse(message.data);
        } catch (e) {
          return;
        }
        if (frame && typeof frame.type === "string") receive(frame);
      };
      ws.onclose = function (event) {
        if (ws !== socket) return;
        lost(event.code === 4401);
      };
    }

    function lost(forGood) {
      var was = socket;
      socket = null;
      welcomed = false;
      if (was && was.readyState === WebSocket.OPEN) was.close();
      if (conversation) conversation.onClose();
      if (forGood) {
        // The session ended (or the agent was deactivated): a reload leads to the log-in.
        stopped = true;
        state("stopped");
        return;
      }
      state("reconnecting");
      var delay = Math.min(RETRY_MAX, RETRY_FIRST * Math.pow(2, attempts));
      attempts++;
      clearTimeout(retryTimer);
      retryTimer = setTimeout(connect, delay * (0.75 + Math.random() / 4));
    }

    function receive(frame) {
      switch (frame.type) {
        case "welcome":
          welcomed = true;
          attempts = 0;
          state("live");
          if (conversation) conversation.onOpen();
          break;
        case "ping":
          send({ type: "pong" });
          break;
        case "event":
          after = Math.max(after, number(frame.seq));
          if (inbox) inbox();
          if (conversation && frame.conversation) {
            conversation.onEvent(frame.conversation, frame.action);
          }
          break;
        case "alert":
          after = Math.max(after, number(frame.seq));
          if (alerts) alerts(frame);
          break;
        case "typing":
          if (conversation) conversation.onTyping(frame);
          break;
        case "presence":
          if (presence && frame.agent_id === presence.agentId && frame.status) presence.show(frame.status);
          break;
        default:
          break; // read receipts, errors for a stale read mark, pong
      }
    }

    if (thread) conversation = conversationView(thread, send);

    // A server that vanished without closing: notice by its silence.
    setInterval(function () {
      if (socket && Date.now() - heardAt > SILENT_MAX) lost(false);
    }, 5000);
    // While the socket is down, the open conversation asks for news itself, slowly.
    if (conversation) {
      setInterval(function () {
        if (!welcomed && !stopped) conversation.load();
      }, FALLBACK_POLL);
    }
    window.addEventListener("online", function () {
      if (!socket && !stopped) {
        clearTimeout(retryTimer);
        connect();
      }
    });
    connect();
  }

  var presence = setupPresence();
  var live = document.getElementById("live");
  if (live && "WebSocket" in window) follow(live, presence);
})();
