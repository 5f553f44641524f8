/*! Balie chat widget: one dependency-free file, embedded on any website with
 *   <script src="https://balie.example.nl/widget.js" data-inbox="INBOX_KEY" async></script>
 * Optional: data-lang="nl|en", data-user-id and data-user-hash (identity verification).
 *
 * The widget renders in a shadow root with its own constructed stylesheet (allowed under a
 * strict Content-Security-Policy, and out of reach of the host page's CSS). Message text is
 * only ever written with textContent. The client side of docs/chat-protocol.md: the highest
 * seq shown is sent as `after` on every (re)connect, unacknowledged messages live in
 * localStorage with their client_id and are sent again after every reconnect, and each seq
 * is shown once.
 */
(function () {
  "use strict";

  if (window.BalieWidget) return; // the script was included twice

  var script =
    document.currentScript && document.currentScript.dataset.inbox
      ? document.currentScript
      : document.querySelector("script[data-inbox]");
  if (!script || !script.dataset.inbox) return;

  var KEY = script.dataset.inbox;
  var BASE = new URL(".", script.src || location.href).href.replace(/\/$/, "");
  var API = BASE + "/chat/v1";
  var WS_URL = BASE.replace(/^http/, "ws") + "/chat/v1/ws";
  var USER_ID = script.dataset.userId || "";
  var USER_HASH = script.dataset.userHash || "";
  var STORE = "balie:" + BASE + ":" + KEY + ":";

  var PING_EVERY = 25000;
  var DEAD_AFTER = 60000;
  var TYPING_IDLE = 2500;
  var TYPING_REPEAT = 8000;
  var AGENT_TYPING_TIMEOUT = 15000;

  /* ------------------------------------------------------------------ language */

  var STRINGS = {
    en: {
      openChat: "Open chat",
      closeChat: "Close chat",
      title: "Chat with us",
      endChat: "End chat",
      prechatIntro: "Before we start, please tell us a little about yourself.",
      name: "Name",
      email: "E-mail address",
      order: "Order number",
      topic: "Topic",
      phone: "Phone number",
      optional: "(optional)",
      chooseTopic: "Choose a topic",
      startChat: "Start chat",
      required: "Please fill in this field.",
      invalidEmail: "Please enter a valid e-mail address.",
      message: "Message",
      placeholder: "Type your message…",
      send: "Send",
      attach: "Attach a file",
      remove: "Remove {name}",
      sending: "Sending…",
      sent: "Sent",
      read: "Read",
      failed: "Not sent",
      you: "You",
      system: "Notice",
      typing: "{name} is typing…",
      someone: "Someone",
      queue: "You are number {n} in the queue.",
      queueNext: "You are next in line.",
      waiting: "Waiting for a team member…",
      assigned: "{name} has joined the chat.",
      chattingWith: "Chatting with {name}",
      ended: "This chat has ended.",
      newChat: "Start a new chat",
      welcome: "Ask us anything. We usually reply within a few minutes.",
      closedTitle: "We are closed right now.",
      backAt: "We are back {when}.",
      backSoon: "We will be back soon.",
      today: "today at {time}",
      tomorrow: "tomorrow at {time}",
      onDay: "on {date} at {time}",
      offlineIntro: "Leave a message and we will get back to you.",
      reachBy: "How should we get back to you?",
      kindEmail: "By e-mail",
      kindCallback: "Call me back",
      preferredTime: "Best time to call",
      preferredHint: "For example: tomorrow morning",
      question: "Your question",
      sendRequest: "Send",
      confirmEmail: "Thank you! We will e-mail you at {email} as soon as we are back.",
      confirmCallback: "Thank you! We will call you at {phone}.",
      reference: "Reference: {id}",
      // Callback slots and surveys (callbacks and surveys room)
      slotLabel: "When may we call you?",
      confirmCallbackAt: "Thank you! We will call you at {phone}. Expect our call {when}.",
      surveyLink: "Answer the survey",
      connecting: "Connecting…",
      reconnecting: "Connection lost. Reconnecting…",
      offline: "You are offline. Your messages will be sent when the connection is back.",
      notConnected: "Not connected. Please try again in a moment.",
      unavailable: "The chat is not available right now.",
      err_rate_limited: "You are sending messages too quickly. Please wait {s} seconds.",
      err_invalid: "This message could not be sent.",
      err_no_conversation: "This chat is no longer open.",
      err_conversation_ended: "This chat has ended.",
      err_forbidden: "This is not allowed.",
      err_generic: "Something went wrong. Please try again.",
      tooBig: "{name} is larger than {max}.",
      badType: "{name} cannot be sent: this type of file is not accepted.",
      tooMany: "You can send at most {n} files at once.",
      uploading: "Uploading {name}…",
      uploadFailed: "{name} could not be uploaded.",
      unread: "{n} new messages",
      incident: "Notice",
    },
    nl: {
      openChat: "Chat openen",
      closeChat: "Chat sluiten",
      title: "Chat met ons",
      endChat: "Chat beëindigen",
      prechatIntro: "Vertel ons eerst iets over jezelf, dan helpen we je zo goed mogelijk.",
      name: "Naam",
      email: "E-mailadres",
      order: "Bestelnummer",
      topic: "Onderwerp",
      phone: "Telefoonnummer",
      optional: "(optioneel)",
      chooseTopic: "Kies een onderwerp",
      startChat: "Chat starten",
      required: "Vul dit veld in.",
      invalidEmail: "Vul een geldig e-mailadres in.",
      message: "Bericht",
      placeholder: "Typ je bericht…",
      send: "Versturen",
      attach: "Bestand toevoegen",
      remove: "{name} verwijderen",
      sending: "Versturen…",
      sent: "Verstuurd",
      read: "Gelezen",
      failed: "Niet verstuurd",
      you: "Jij",
      system: "Melding",
      typing: "{name} is aan het typen…",
      someone: "Iemand",
      queue: "Je bent nummer {n} in de wachtrij.",
      queueNext: "Je bent als volgende aan de beurt.",
      waiting: "Even wachten op een medewerker…",
      assigned: "{name} is bij de chat gekomen.",
      chattingWith: "Je chat met {name}",
      ended: "Deze chat is beëindigd.",
      newChat: "Nieuwe chat starten",
      welcome: "Stel gerust je vraag. We reageren meestal binnen een paar minuten.",
      closedTitle: "We zijn nu gesloten.",
      backAt: "We zijn er weer {when}.",
      backSoon: "We zijn er snel weer.",
      today: "vandaag om {time}",
      tomorrow: "morgen om {time}",
      onDay: "op {date} om {time}",
      offlineIntro: "Laat een bericht achter, dan nemen we contact met je op.",
      reachBy: "Hoe kunnen we je bereiken?",
      kindEmail: "Per e-mail",
      kindCallback: "Bel me terug",
      preferredTime: "Beste tijd om te bellen",
      preferredHint: "Bijvoorbeeld: morgenochtend",
      question: "Je vraag",
      sendRequest: "Versturen",
      confirmEmail: "Bedankt! We mailen je op {email} zodra we er weer zijn.",
      confirmCallback: "Bedankt! We bellen je terug op {phone}.",
      reference: "Referentie: {id}",
      // Callback slots and surveys (callbacks and surveys room)
      slotLabel: "Wanneer mogen we je bellen?",
      confirmCallbackAt: "Bedankt! We bellen je terug op {phone}. Verwacht ons telefoontje {when}.",
      surveyLink: "Vragenlijst invullen",
      connecting: "Verbinden…",
      reconnecting: "Verbinding verbroken. Opnieuw verbinden…",
      offline: "Je bent offline. Je berichten worden verstuurd zodra de verbinding terug is.",
      notConnected: "Geen verbinding. Probeer het zo nog eens.",
      unavailable: "De chat is nu niet beschikbaar.",
      err_rate_limited: "Je verstuurt te snel berichten. Wacht {s} seconden.",
      err_invalid: "Dit bericht kon niet worden verstuurd.",
      err_no_conversation: "Deze chat is niet meer open.",
      err_conversation_ended: "Deze chat is beëindigd.",
      err_forbidden: "Dit is niet toegestaan.",
      err_generic: "Er ging iets mis. Probeer het opnieuw.",
      tooBig: "{name} is groter dan {max}.",
      badType: "{name} kan niet worden verstuurd: dit soort bestand wordt niet geaccepteerd.",
      tooMany: "Je kunt maximaal {n} bestanden tegelijk versturen.",
      uploading: "{name} uploaden…",
      uploadFailed: "{name} kon niet worden geüpload.",
      unread: "{n} nieuwe berichten",
      incident: "Let op",
    },
  };

  function pickLang() {
    var wanted = [
      script.dataset.lang,
      document.documentElement.getAttribute("lang"),
      navigator.language,
    ];
    for (var i = 0; i < wanted.length; i++) {
      var code = String(wanted[i] || "").slice(0, 2).toLowerCase();
      if (code === "nl" || code === "en") return code;
      if (wanted[i] && i > 0) return code === "nl" ? "nl" : "en";
    }
    return "en";
  }
  var LANG = pickLang();
  var LOCALE = LANG === "nl" ? "nl-NL" : navigator.language && /^en/i.test(navigator.language)
    ? navigator.language
    : "en-GB";

  function t(key, params) {
    var s = STRINGS[LANG][key] || STRINGS.en[key] || key;
    if (params) {
      s = s.replace(/\{(\w+)\}/g, function (all, name) {
        return name in params ? String(params[name]) : all;
      });
    }
    return s;
  }

  /* ------------------------------------------------------------------ storage */

  var memory = {};
  function load(name, fallback) {
    var raw = null;
    try {
      raw = window.localStorage.getItem(STORE + name);
    } catch (e) {
      raw = name in memory ? memory[name] : null;
    }
    if (raw == null) return fallback;
    try {
      return JSON.parse(raw);
    } catch (e) {
      return fallback;
    }
  }
  function save(name, value) {
    var raw = JSON.stringify(value);
    try {
      if (value == null) window.localStorage.removeItem(STORE + name);
      else window.localStorage.setItem(STORE + name, raw);
    } catch (e) {
      if (value == null) delete memory[name];
      else memory[name] = raw;
    }
  }

  function uuid() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      try {
        return window.crypto.randomUUID(); // secure contexts only
      } catch (e) {
        /* fall through */
      }
    }
    var bytes = new Uint8Array(16);
    if (window.crypto && window.crypto.getRandomValues) window.crypto.getRandomValues(bytes);
    else for (var i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map
      .call(bytes, function (b) {
        return (b + 0x100).toString(16).slice(1);
      })
      .join("");
    return (
      hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" +
      hex.slice(16, 20) + "-" + hex.slice(20)
    );
  }

  /* ------------------------------------------------------------------ state */

  var S = {
    inbox: null, // GET /chat/v1/inboxes/{key}
    unavailable: false,
    open: true, // within business hours
    nextOpenAt: null,
    incident: null,
    token: null,
    ws: null,
    helloAfter: 0,
    helloConv: null,
    welcomed: false,
    everWelcomed: false,
    attempt: 0,
    reconnectTimer: null,
    pingTimer: null,
    watchTimer: null,
    lastFrameAt: 0,
    stopped: false,
    conv: null, // {id, status}
    convState: "none", // none | open | ended
    ended: null, // {id, last}: the chat that ended, while a new one is not started yet
    fields: null, // pre-chat answers
    shown: new Set(), // seqs shown
    maxSeq: 0,
    bubbles: new Map(), // client_id -> element of an own message
    agent: null,
    agentReadSeq: 0,
    queuePos: null,
    panelOpen: false,
    unread: 0,
    readSent: 0,
    typingSent: false,
    typingSentAt: 0,
    typingTimer: null,
    agentTypingTimer: null,
    uploads: [], // [{id, name, type, size}] waiting to be sent
    uploading: 0,
    request: null, // confirmation of an offline request
    errorKind: null,
    retryTimers: new Map(),
    restarted: new Set(), // client_ids of starts refused because a chat was already open
  };

  function pending() {
    var list = load("pending", []);
    return Array.isArray(list) ? list : [];
  }
  function setPending(list) {
    save("pending", list.length ? list : null);
  }
  function pendingHasStart() {
    return pending().some(function (p) {
      return p.frame && p.frame.type === "start";
    });
  }

  /* ------------------------------------------------------------------ DOM helpers */

  function h(tag, props) {
    var el = document.createElement(tag);
    if (props) {
      for (var name in props) {
        var value = props[name];
        if (value == null || value === false) continue;
        if (name === "class") el.className = value;
        else if (name === "text") el.textContent = value;
        else if (name.slice(0, 2) === "on") el.addEventListener(name.slice(2), value);
        else if (name in el && name !== "list" && name !== "form" && typeof value !== "string")
          el[name] = value;
        else el.setAttribute(name, value === true ? "" : String(value));
      }
    }
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child == null || child === false) continue;
      el.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return el;
  }

  var SVG = "http://www.w3.org/2000/svg";
  function icon(paths) {
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "24");
    svg.setAttribute("height", "24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    paths.forEach(function (d) {
      var p = document.createElementNS(SVG, "path");
      p.setAttribute("d", d);
      svg.appendChild(p);
    });
    return svg;
  }
  var ICON_CHAT = ["M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"];
  var ICON_CLOSE = ["M6 6l12 12M18 6L6 18"];
  var ICON_SEND = ["M3 11l18-8-8 18-2-8-8-2z"];
  var ICON_CLIP = [
    "M21 12.5l-8.5 8.5a5.5 5.5 0 0 1-7.8-7.8l9-9a3.7 3.7 0 0 1 5.2 5.2l-9 9a1.8 1.8 0 0 1-2.6-2.6l8.3-8.3",
  ];

  function clear(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
  }

  function initials(agent) {
    if (agent && agent.initials) return String(agent.initials).slice(0, 3);
    var name = (agent && agent.name) || "?";
    return name
      .split(/\s+/)
      .filter(Boolean)
      .map(function (w) {
        return w[0];
      })
      .slice(0, 2)
      .join("")
      .toUpperCase();
  }

  function avatar(agent) {
    return h("span", { class: "avatar", "aria-hidden": "true", text: initials(agent) });
  }

  function formatTime(iso) {
    var d = iso ? new Date(iso) : new Date();
    if (isNaN(d.getTime())) d = new Date();
    try {
      return new Intl.DateTimeFormat(LOCALE, { hour: "2-digit", minute: "2-digit" }).format(d);
    } catch (e) {
      return d.toTimeString().slice(0, 5);
    }
  }

  function formatWhen(iso) {
    var d = new Date(iso);
    if (!iso || isNaN(d.getTime())) return null;
    var time = formatTime(iso);
    var now = new Date();
    var day = function (x) {
      return new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
    };
    var diff = Math.round((day(d) - day(now)) / 86400000);
    if (diff <= 0) return t("today", { time: time });
    if (diff === 1) return t("tomorrow", { time: time });
    var date = new Intl.DateTimeFormat(LOCALE, {
      weekday: "long",
      day: "numeric",
      month: "long",
    }).format(d);
    return t("onDay", { date: date, time: time });
  }

  function formatSize(bytes) {
    if (bytes >= 1024 * 1024) return (bytes / 1024 / 1024).toFixed(bytes % 1048576 ? 1 : 0) + " MB";
    if (bytes >= 1024) return Math.round(bytes / 1024) + " kB";
    return bytes + " B";
  }

  function safeUrl(url) {
    url = String(url);
    // Paths from the server are Balie's own, wherever Balie is mounted.
    if (url.charAt(0) === "/" && url.charAt(1) !== "/") url = BASE + url;
    try {
      var u = new URL(url);
      return u.protocol === "https:" || u.protocol === "http:" ? u.href : null;
    } catch (e) {
      return null;
    }
  }

  /* ------------------------------------------------------------------ styles */

  var CSS = [
    ":host{all:initial!important;display:block!important;position:fixed!important;",
    "right:20px!important;bottom:20px!important;left:auto!important;top:auto!important;",
    "width:auto!important;height:auto!important;margin:0!important;padding:0!important;",
    "border:0!important;z-index:2147483000!important;visibility:visible!important;",
    "opacity:1!important;transform:none!important;filter:none!important;}",
    "*,*::before,*::after{box-sizing:border-box;}",
    "[hidden]{display:none!important;}",
    ".root{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#1c2430;",
    "--accent:#155e9e;--accent-dark:#0f4675;--muted:#5b6675;--line:#d9dee5;--bg:#f5f7fa;",
    "letter-spacing:normal;text-align:left;text-transform:none;direction:ltr;}",
    "button,input,select,textarea{font:inherit;color:inherit;letter-spacing:inherit;margin:0;}",
    "button{cursor:pointer;}",
    ".sr{position:absolute!important;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;",
    "clip:rect(0 0 0 0);white-space:nowrap;border:0;}",
    ":focus-visible{outline:3px solid #f0a500;outline-offset:2px;}",
    ".launcher{position:relative;display:flex;align-items:center;justify-content:center;",
    "width:56px;height:56px;min-width:56px;padding:0;border:0;border-radius:50%;",
    "background:var(--accent);color:#fff;box-shadow:0 4px 14px rgba(0,0,0,.25);}",
    ".launcher:hover{background:var(--accent-dark);}",
    ".launcher svg{width:26px;height:26px;fill:none;stroke:currentColor;stroke-width:2;",
    "stroke-linejoin:round;stroke-linecap:round;}",
    ".badge{position:absolute;top:-4px;right:-4px;min-width:22px;height:22px;padding:0 6px;",
    "border-radius:11px;background:#c62828;color:#fff;font-size:12px;font-weight:700;",
    "line-height:22px;text-align:center;}",
    ".panel{position:absolute;right:0;bottom:72px;width:370px;max-width:calc(100vw - 40px);",
    "height:580px;max-height:calc(100vh - 110px);display:flex;flex-direction:column;",
    "background:#fff;border-radius:14px;overflow:hidden;box-shadow:0 10px 40px rgba(0,0,0,.28);}",
    "@media (max-width:480px){.panel{position:fixed;inset:0;width:100vw;max-width:none;",
    "height:100%;max-height:none;border-radius:0;}}",
    "header{display:flex;align-items:center;gap:10px;padding:12px 12px 12px 16px;",
    "background:var(--accent);color:#fff;}",
    "header .head{flex:1;min-width:0;}",
    "header h2{margin:0;font-size:16px;font-weight:700;line-height:1.3;}",
    "header .sub{margin:0;font-size:13px;opacity:.92;}",
    "header .avatar{background:#fff;color:var(--accent);}",
    ".icon-btn{display:flex;align-items:center;justify-content:center;width:36px;height:36px;",
    "padding:0;border:0;border-radius:8px;background:transparent;color:inherit;}",
    ".icon-btn:hover{background:rgba(255,255,255,.15);}",
    ".icon-btn svg{width:20px;height:20px;fill:none;stroke:currentColor;stroke-width:2;",
    "stroke-linecap:round;stroke-linejoin:round;}",
    ".end{padding:6px 10px;border:1px solid rgba(255,255,255,.7);border-radius:8px;",
    "background:transparent;color:#fff;font-size:13px;}",
    ".end:hover{background:rgba(255,255,255,.15);}",
    ".incident{margin:0;padding:10px 16px;background:#fff4d6;color:#5a4300;",
    "border-bottom:1px solid #f0d48a;font-size:14px;white-space:pre-wrap;}",
    ".conn{margin:0;padding:6px 16px;background:#eef1f5;color:var(--muted);font-size:13px;}",
    ".body{flex:1;overflow-y:auto;padding:14px 16px;background:var(--bg);}",
    ".intro{margin:0 0 12px;color:var(--muted);}",
    ".messages{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:10px;}",
    ".msg{display:flex;flex-direction:column;max-width:85%;}",
    ".msg.from-customer{align-self:flex-end;align-items:flex-end;}",
    ".msg.from-agent{align-self:flex-start;}",
    ".msg.from-system,.note{align-self:center;max-width:95%;text-align:center;color:var(--muted);",
    "font-size:13px;}",
    ".who{display:flex;align-items:center;gap:6px;margin-bottom:3px;font-size:12px;color:var(--muted);}",
    ".avatar{display:inline-flex;align-items:center;justify-content:center;width:26px;",
    "height:26px;border-radius:50%;background:var(--accent);color:#fff;font-size:11px;",
    "font-weight:700;flex:none;}",
    ".bubble{padding:8px 12px;border-radius:14px;background:#fff;border:1px solid var(--line);",
    "overflow-wrap:anywhere;}",
    ".from-customer .bubble{background:var(--accent);border-color:var(--accent);color:#fff;}",
    ".from-system .bubble{background:transparent;border:0;padding:0;}",
    ".text{margin:0;white-space:pre-wrap;}",
    ".files{list-style:none;margin:6px 0 0;padding:0;}",
    ".files a{color:inherit;text-decoration:underline;}",
    ".meta{margin-top:2px;font-size:11px;color:var(--muted);}",
    ".msg.sending .bubble{opacity:.7;}",
    ".msg.failed .bubble{background:#fdecea;border-color:#e57373;color:#7f1d1d;}",
    ".typing{min-height:20px;margin:8px 0 0;color:var(--muted);font-size:13px;font-style:italic;}",
    ".ended{margin:14px 0 0;text-align:center;color:var(--muted);}",
    ".ended button,.primary{display:inline-block;margin-top:8px;padding:9px 16px;border:0;",
    "border-radius:8px;background:var(--accent);color:#fff;font-weight:600;}",
    ".primary:hover,.ended button:hover{background:var(--accent-dark);}",
    ".primary:disabled{opacity:.6;cursor:default;}",
    "form.stack{display:flex;flex-direction:column;gap:12px;margin:0;}",
    ".field{display:flex;flex-direction:column;gap:4px;}",
    ".field label,legend{font-size:14px;font-weight:600;}",
    ".field .opt{font-weight:400;color:var(--muted);}",
    ".field input,.field select,.field textarea{width:100%;padding:8px 10px;border:1px solid #9aa5b4;",
    "border-radius:8px;background:#fff;}",
    ".field textarea{min-height:80px;resize:vertical;}",
    ".field [aria-invalid=true]{border-color:#c62828;}",
    ".field-error{margin:0;color:#b71c1c;font-size:13px;}",
    "fieldset{margin:0;padding:0;border:0;display:flex;flex-direction:column;gap:6px;}",
    ".choice{display:flex;align-items:center;gap:8px;font-weight:400;}",
    ".closed{margin:0 0 12px;padding:10px 12px;border-radius:8px;background:#fff;",
    "border:1px solid var(--line);}",
    ".closed strong{display:block;}",
    ".confirm{padding:14px;border-radius:8px;background:#e8f5e9;color:#1b5e20;border:1px solid #a5d6a7;}",
    ".confirm p{margin:0;}",
    ".survey-link{display:inline-block;margin-top:6px;padding:6px 12px;border-radius:8px;",
    "background:var(--accent);color:#fff;text-decoration:none;font-weight:600;}",
    ".error{margin:0;padding:8px 16px;background:#fdecea;color:#7f1d1d;font-size:13px;}",
    ".composer{display:flex;align-items:flex-end;gap:6px;margin:0;padding:10px 10px 12px;",
    "border-top:1px solid var(--line);background:#fff;}",
    ".composer textarea{flex:1;min-height:40px;max-height:120px;padding:9px 10px;resize:none;",
    "border:1px solid #9aa5b4;border-radius:10px;background:#fff;}",
    ".composer .icon-btn{color:var(--muted);width:40px;height:40px;}",
    ".composer .icon-btn:hover{background:#eef1f5;}",
    ".composer .send{background:var(--accent);color:#fff;}",
    ".composer .send:hover{background:var(--accent-dark);}",
    ".uploads{list-style:none;margin:0;padding:6px 10px 0;display:flex;flex-wrap:wrap;gap:6px;",
    "background:#fff;border-top:1px solid var(--line);}",
    ".uploads li{display:flex;align-items:center;gap:4px;padding:2px 4px 2px 10px;",
    "border-radius:14px;background:#eef1f5;font-size:13px;}",
    ".uploads button{width:26px;height:26px;}",
    ".uploads svg{width:14px;height:14px;}",
    "@media (prefers-reduced-motion:no-preference){.panel{animation:balie-in .16s ease-out;}}",
    "@keyframes balie-in{from{opacity:0;transform:translateY(8px);}to{opacity:1;transform:none;}}",
  ].join("");

  /* ------------------------------------------------------------------ skeleton */

  var host, shadow, ui = {};

  function build() {
    host = document.createElement("balie-chat");
    host.setAttribute("data-balie-widget", "");
    shadow = host.attachShadow({ mode: "open" });
    var sheetDone = false;
    try {
      if ("adoptedStyleSheets" in shadow && typeof CSSStyleSheet === "function") {
        var sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
        shadow.adoptedStyleSheets = [sheet];
        sheetDone = true;
      }
    } catch (e) {
      sheetDone = false;
    }
    if (!sheetDone) shadow.appendChild(h("style", { text: CSS }));

    ui.badge = h("span", { class: "badge", "aria-hidden": "true", hidden: true });
    ui.launcher = h(
      "button",
      {
        type: "button",
        class: "launcher",
        "aria-label": t("openChat"),
        "aria-expanded": "false",
        "aria-controls": "balie-panel",
        onclick: function () {
          if (S.panelOpen) closePanel(true);
          else openPanel();
        },
      },
      icon(ICON_CHAT),
      ui.badge
    );

    ui.title = h("h2", { id: "balie-title", text: t("title") });
    ui.sub = h("p", { class: "sub", hidden: true });
    ui.headAvatar = h("span", { hidden: true });
    ui.end = h("button", {
      type: "button",
      class: "end",
      text: t("endChat"),
      hidden: true,
      onclick: endChat,
    });
    ui.close = h(
      "button",
      {
        type: "button",
        class: "icon-btn close",
        "aria-label": t("closeChat"),
        onclick: function () {
          closePanel(true);
        },
      },
      icon(ICON_CLOSE)
    );
    ui.incident = h("p", { class: "incident", role: "status", hidden: true });
    ui.conn = h("p", { class: "conn", role: "status", hidden: true });

    ui.intro = h("p", { class: "intro", text: t("welcome"), hidden: true });
    ui.closedView = h("div", { class: "offline-view", hidden: true });
    ui.prechat = h("div", { class: "prechat-view", hidden: true });
    ui.messages = h("ol", {
      class: "messages",
      "aria-live": "polite",
      "aria-relevant": "additions",
      "aria-label": t("title"),
    });
    ui.typing = h("p", { class: "typing", "aria-live": "polite" });
    ui.newChat = h("button", { type: "button", text: t("newChat"), onclick: newChat });
    ui.ended = h("div", { class: "ended", hidden: true }, h("p", { text: t("ended") }), ui.newChat);
    ui.body = h(
      "div",
      { class: "body" },
      ui.intro,
      ui.closedView,
      ui.prechat,
      ui.messages,
      ui.typing,
      ui.ended
    );
    ui.error = h("p", { class: "error", role: "alert", hidden: true });

    ui.uploadsList = h("ul", { class: "uploads", hidden: true });
    ui.text = h("textarea", {
      id: "balie-text",
      rows: 1,
      placeholder: t("placeholder"),
      maxlength: "10000",
      autocomplete: "off",
      oninput: onTyping,
      onkeydown: function (e) {
        if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
          e.preventDefault();
          submitComposer();
        }
      },
    });
    ui.file = h("input", {
      id: "balie-file",
      type: "file",
      class: "sr",
      tabindex: "-1",
      multiple: true,
      onchange: onFiles,
    });
    ui.attach = h(
      "button",
      {
        type: "button",
        class: "icon-btn attach",
        "aria-label": t("attach"),
        onclick: function () {
          ui.file.click();
        },
      },
      icon(ICON_CLIP)
    );
    ui.sendBtn = h(
      "button",
      { type: "submit", class: "icon-btn send", "aria-label": t("send") },
      icon(ICON_SEND)
    );
    ui.composer = h(
      "form",
      {
        class: "composer",
        hidden: true,
        novalidate: true,
        onsubmit: function (e) {
          e.preventDefault();
          submitComposer();
        },
      },
      h("label", { class: "sr", for: "balie-text", text: t("message") }),
      h("label", { class: "sr", for: "balie-file", text: t("attach") }),
      ui.file,
      ui.attach,
      ui.text,
      ui.sendBtn
    );

    ui.panel = h(
      "section",
      {
        id: "balie-panel",
        class: "panel",
        role: "dialog",
        "aria-labelledby": "balie-title",
        hidden: true,
      },
      h(
        "header",
        null,
        ui.headAvatar,
        h("div", { class: "head" }, ui.title, ui.sub),
        ui.end,
        ui.close
      ),
      ui.incident,
      ui.conn,
      ui.body,
      ui.error,
      ui.uploadsList,
      ui.composer
    );

    ui.root = h(
      "div",
      {
        class: "root",
        lang: LANG,
        onkeydown: function (e) {
          if (e.key === "Escape" && S.panelOpen) {
            e.stopPropagation();
            closePanel(true);
          }
        },
      },
      ui.panel,
      ui.launcher
    );
    shadow.appendChild(ui.root);
    document.body.appendChild(host);
  }

  /* ------------------------------------------------------------------ views */

  function showError(text, kind) {
    ui.error.textContent = text || "";
    ui.error.hidden = !text;
    S.errorKind = text ? kind || "other" : null;
  }

  function view() {
    if (S.unavailable) return "unavailable";
    if (S.request) return "confirm";
    if (S.convState === "open" || S.convState === "ended") return "chat";
    if (S.bubbles.size || pending().length) return "chat";
    if (!S.inbox) return "loading";
    if (!S.open) return "closed";
    if (prechatFields().length && !S.fields) return "prechat";
    return "chat";
  }

  var lastView = null;
  function render() {
    if (!ui.panel) return;
    var v = view();
    var changed = v !== lastView;
    lastView = v;

    ui.title.textContent = (S.inbox && S.inbox.name) || t("title");
    ui.incident.hidden = !S.incident;
    if (S.incident) {
      clear(ui.incident);
      ui.incident.appendChild(h("strong", { text: t("incident") + ": " }));
      ui.incident.appendChild(document.createTextNode(String(S.incident)));
    }

    var chatting = v === "chat";
    ui.messages.hidden = !chatting;
    ui.typing.hidden = !chatting;
    ui.intro.hidden = !(chatting && S.convState === "none" && !ui.messages.querySelector(".msg"));
    if (v === "unavailable" || v === "loading") {
      ui.intro.hidden = false;
      ui.intro.textContent = t(v === "loading" ? "connecting" : "unavailable");
    } else {
      ui.intro.textContent = t("welcome");
    }
    ui.composer.hidden = !(chatting && S.convState !== "ended");
    ui.uploadsList.hidden = ui.composer.hidden || !S.uploads.length;
    ui.ended.hidden = !(chatting && S.convState === "ended");
    ui.end.hidden = !(chatting && S.convState === "open");
    ui.prechat.hidden = v !== "prechat";
    ui.closedView.hidden = v !== "closed" && v !== "confirm";
    if (changed && v === "prechat") renderPrechat();
    if (changed && (v === "closed" || v === "confirm")) renderClosed();

    // Who the visitor is talking to, or where they stand.
    clear(ui.headAvatar);
    ui.headAvatar.hidden = true;
    var sub = "";
    if (chatting && S.convState === "open") {
      if (S.agent) {
        sub = t("chattingWith", { name: S.agent.name });
        ui.headAvatar.appendChild(avatar(S.agent));
        ui.headAvatar.hidden = false;
      } else if (S.queuePos) {
        sub = S.queuePos === 1 ? t("queueNext") : t("queue", { n: S.queuePos });
      } else {
        sub = t("waiting");
      }
    }
    ui.sub.textContent = sub;
    ui.sub.hidden = !sub;
    renderConn();
    renderBadge();
    if (changed && S.panelOpen) focusInside();
  }

  function renderConn() {
    var text = "";
    var active = S.convState === "open" || pending().length > 0;
    if (S.token && !S.welcomed && !S.unavailable && (active || S.panelOpen)) {
      if (navigator.onLine === false) text = t("offline");
      else if (S.everWelcomed) text = t("reconnecting");
      else if (active) text = t("connecting");
    }
    ui.conn.textContent = text;
    ui.conn.hidden = !text;
  }

  function renderBadge() {
    ui.badge.textContent = S.unread > 9 ? "9+" : String(S.unread);
    ui.badge.hidden = !S.unread || S.panelOpen;
    ui.launcher.setAttribute(
      "aria-label",
      S.panelOpen
        ? t("closeChat")
        : S.unread
        ? t("openChat") + " (" + t("unread", { n: S.unread }) + ")"
        : t("openChat")
    );
  }

  function prechatFields() {
    var list = (S.inbox && S.inbox.prechat) || [];
    return list
      .map(function (f) {
        return typeof f === "string" ? { name: f, required: false } : f;
      })
      .filter(function (f) {
        return f && f.name;
      });
  }

  function fieldControl(name, id, required, options) {
    var attrs = { id: id, name: name, required: required, "aria-required": required ? "true" : null };
    if (name === "topic" && options && options.length) {
      var select = h("select", attrs, h("option", { value: "", text: t("chooseTopic") }));
      options.forEach(function (o) {
        select.appendChild(h("option", { value: o, text: o }));
      });
      return select;
    }
    if (name === "text") return h("textarea", Object.assign(attrs, { maxlength: "10000" }));
    var types = { email: "email", phone: "tel" };
    var auto = { name: "name", email: "email", phone: "tel", order: "off", topic: "off" };
    return h(
      "input",
      Object.assign(attrs, {
        type: types[name] || "text",
        autocomplete: auto[name] || "off",
        maxlength: name === "preferred_time" || name === "phone" ? "100" : "200",
      })
    );
  }

  function fieldRow(prefix, name, label, required, options, hint) {
    var id = prefix + "-" + name;
    var control = fieldControl(name, id, required, options);
    if (hint) control.setAttribute("placeholder", hint);
    var err = h("p", { class: "field-error", id: id + "-error", hidden: true });
    control.setAttribute("aria-describedby", err.id);
    return h(
      "div",
      { class: "field", "data-field": name },
      h(
        "label",
        { for: id },
        label,
        required ? null : h("span", { class: "opt", text: " " + t("optional") })
      ),
      control,
      err
    );
  }

  var EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

  // Checks the form's visible fields; marks the wrong ones and focuses the first.
  function validate(form) {
    var first = null;
    form.querySelectorAll(".field").forEach(function (row) {
      if (row.hidden) return;
      var control = row.querySelector("input,select,textarea");
      var err = row.querySelector(".field-error");
      var value = control.value.trim();
      var message = "";
      if (control.required && !value) message = t("required");
      else if (control.type === "email" && value && !EMAIL_RE.test(value)) message = t("invalidEmail");
      err.textContent = message;
      err.hidden = !message;
      if (message) control.setAttribute("aria-invalid", "true");
      else control.removeAttribute("aria-invalid");
      if (message && !first) first = control;
    });
    if (first) first.focus();
    return !first;
  }

  function renderPrechat() {
    clear(ui.prechat);
    var fields = prechatFields();
    var topics = (S.inbox && S.inbox.topics) || [];
    var form = h("form", { class: "stack prechat", novalidate: true });
    form.appendChild(h("p", { class: "intro", text: t("prechatIntro") }));
    fields.forEach(function (f) {
      form.appendChild(fieldRow("balie-pre", f.name, t(f.name), !!f.required, topics));
    });
    form.appendChild(h("button", { type: "submit", class: "primary", text: t("startChat") }));
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!validate(form)) return;
      var answers = {};
      fields.forEach(function (f) {
        var value = form.elements[f.name].value.trim();
        if (value) answers[f.name] = value;
      });
      S.fields = answers;
      save("fields", answers);
      render();
      ui.text.focus();
    });
    ui.prechat.appendChild(form);
  }

  function renderClosed() {
    clear(ui.closedView);
    if (S.request) {
      var box = h("div", { class: "confirm", role: "status", tabindex: "-1" });
      box.appendChild(
        h("p", {
          text:
            S.request.kind === "email"
              ? t("confirmEmail", { email: S.request.email })
              : S.request.when
                ? t("confirmCallbackAt", { phone: S.request.phone, when: formatWhen(S.request.when) })
                : t("confirmCallback", { phone: S.request.phone }),
        })
      );
      if (S.request.id) box.appendChild(h("p", { text: t("reference", { id: S.request.id }) }));
      ui.closedView.appendChild(box);
      return;
    }
    var when = formatWhen(S.nextOpenAt);
    ui.closedView.appendChild(
      h(
        "div",
        { class: "closed" },
        h("strong", { text: t("closedTitle") }),
        h("span", { text: when ? t("backAt", { when: when }) : t("backSoon") })
      )
    );
    var form = h("form", { class: "stack offline", novalidate: true });
    form.appendChild(h("p", { class: "intro", text: t("offlineIntro") }));
    var radios = h("fieldset", null, h("legend", { text: t("reachBy") }));
    [
      ["email", t("kindEmail")],
      ["callback", t("kindCallback")],
    ].forEach(function (pair, i) {
      var id = "balie-kind-" + pair[0];
      radios.appendChild(
        h(
          "label",
          { class: "choice", for: id },
          h("input", {
            type: "radio",
            id: id,
            name: "kind",
            value: pair[0],
            checked: i === 0,
            onchange: sync,
          }),
          pair[1]
        )
      );
    });
    form.appendChild(radios);
    var rows = {
      name: fieldRow("balie-off", "name", t("name"), true),
      email: fieldRow("balie-off", "email", t("email"), true),
      phone: fieldRow("balie-off", "phone", t("phone"), true),
      slot_start: callbackSlotRow(function () {
        sync();
      }),
      preferred_time: fieldRow(
        "balie-off",
        "preferred_time",
        t("preferredTime"),
        false,
        null,
        t("preferredHint")
      ),
      text: fieldRow("balie-off", "text", t("question"), true),
    };
    Object.keys(rows).forEach(function (k) {
      form.appendChild(rows[k]);
    });
    var submit = h("button", { type: "submit", class: "primary", text: t("sendRequest") });
    form.appendChild(submit);

    function kind() {
      return form.querySelector("input[name=kind]:checked").value;
    }
    function sync() {
      var callback = kind() === "callback";
      rows.phone.hidden = !callback;
      // Offered slots, when Balie could list them; the free-text time stays as a hint.
      rows.slot_start.hidden = !callback || rows.slot_start.getAttribute("data-ready") !== "1";
      rows.preferred_time.hidden = !callback;
      rows.email.querySelector("input").required = !callback;
      rows.email.querySelector(".opt") && rows.email.querySelector(".opt").remove();
      if (callback) {
        rows.email.querySelector("label").appendChild(
          h("span", { class: "opt", text: " " + t("optional") })
        );
      }
    }
    sync();

    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!validate(form)) return;
      var body = { kind: kind(), client_id: form.dataset.clientId || uuid() };
      form.dataset.clientId = body.client_id; // a retry of the same request stays one request
      ["name", "email", "phone", "preferred_time", "text"].forEach(function (k) {
        if (rows[k].hidden) return;
        var value = form.elements[k].value.trim();
        if (value) body[k] = value;
      });
      submit.disabled = true;
      showError("");
      var slotted = body.kind === "callback" && !rows.slot_start.hidden;
      ensureToken()
        .then(function () {
          if (slotted) return requestCallback(form, body);
          return api("POST", "/inboxes/" + encodeURIComponent(KEY) + "/requests", body, true);
        })
        .then(function (answer) {
          S.request = {
            kind: body.kind,
            email: body.email,
            phone: body.phone,
            when: slotted && answer ? answer.slot_start : null,
            id: answer && answer.conversation_id,
          };
          render();
          var box = ui.closedView.querySelector(".confirm");
          if (box) box.focus();
        })
        .catch(function (err) {
          submit.disabled = false;
          showError(problemText(err));
        });
    });
    ui.closedView.appendChild(form);
  }

  /* ------------------------------------------------------- callback slots */

  // Outside business hours a visitor may pick a slot to be called back in, among the ones
  // Balie offers within the inbox's hours. Without any (or when the list cannot be
  // fetched) the request goes out as before, with only the free-text "best time to call".
  function callbackSlotRow(onLoaded) {
    var id = "balie-off-slot_start";
    var select = h("select", { id: id, name: "slot_start", required: true, "aria-required": "true" });
    var err = h("p", { class: "field-error", id: id + "-error", hidden: true });
    select.setAttribute("aria-describedby", err.id);
    var row = h(
      "div",
      { class: "field", "data-field": "slot_start", hidden: true },
      h("label", { for: id }, t("slotLabel")),
      select,
      err
    );
    api("GET", "/inboxes/" + encodeURIComponent(KEY) + "/callback-slots")
      .then(function (answer) {
        var slots = (answer && answer.slots) || [];
        slots.forEach(function (slot) {
          select.appendChild(
            h("option", { value: String(slot.start), text: formatWhen(slot.start) })
          );
        });
        if (slots.length) row.setAttribute("data-ready", "1");
        onLoaded();
      })
      .catch(function () {
        onLoaded();
      });
    return row;
  }

  function requestCallback(form, body) {
    var request = {
      phone: body.phone,
      slot_start: form.elements.slot_start.value,
      client_id: body.client_id,
    };
    ["name", "email", "text", "preferred_time"].forEach(function (k) {
      if (body[k]) request[k] = body[k];
    });
    return api("POST", "/inboxes/" + encodeURIComponent(KEY) + "/callbacks", request, true);
  }

  /* ------------------------------------------------------------------ survey */

  // The survey Balie sends after a chat is resolved is a notice with a link to the
  // survey page; it gets a clear button of its own. Only a link to this Balie's own
  // survey page does: other system notices (an incident update a supervisor wrote) may
  // hold any address, and a button would lend it Balie's authority.
  var SURVEY_PREFIX = BASE + "/survey/";
  var SURVEY_TOKEN_RE = /^[A-Za-z0-9_.\-]+$/;

  function surveyButton(text) {
    var words = String(text == null ? "" : text).split(/\s+/);
    var url = null;
    for (var i = 0; i < words.length && !url; i++) {
      var word = words[i];
      if (word.indexOf(SURVEY_PREFIX) !== 0) continue;
      if (SURVEY_TOKEN_RE.test(word.slice(SURVEY_PREFIX.length))) url = safeUrl(word);
    }
    if (!url) return null;
    return h("a", {
      class: "survey-link",
      href: url,
      target: "_blank",
      rel: "noopener noreferrer",
      text: t("surveyLink"),
    });
  }

  function focusInside() {
    var target = null;
    if (!ui.prechat.hidden) target = ui.prechat.querySelector("input,select,textarea,button");
    else if (!ui.closedView.hidden)
      target =
        ui.closedView.querySelector(".confirm") ||
        ui.closedView.querySelector("input:checked,input,button");
    else if (!ui.composer.hidden) target = ui.text;
    else if (!ui.ended.hidden) target = ui.newChat;
    (target || ui.close).focus();
  }

  function openPanel() {
    if (S.panelOpen) return;
    S.panelOpen = true;
    ui.panel.hidden = false;
    ui.launcher.setAttribute("aria-expanded", "true");
    S.unread = 0;
    render();
    focusInside();
    scrollDown();
    if (!S.inbox && !S.unavailable) fetchInbox();
    ensureToken()
      .then(connect)
      .catch(function (err) {
        if (!S.unavailable) showError(problemText(err));
      });
    maybeSendRead();
  }

  function closePanel(returnFocus) {
    if (!S.panelOpen) return;
    S.panelOpen = false;
    ui.panel.hidden = true;
    ui.launcher.setAttribute("aria-expanded", "false");
    stopTyping();
    render();
    if (returnFocus) ui.launcher.focus();
  }

  function scrollDown() {
    if (!ui.messages.hidden) ui.body.scrollTop = ui.body.scrollHeight;
  }

  /* ------------------------------------------------------------------ messages */

  function seqOf(el) {
    var s = el.getAttribute("data-seq");
    return s ? Number(s) : Infinity; // an unacknowledged message sorts last
  }

  // Places the element by seq: messages in seq order, own unacknowledged ones last.
  function place(el) {
    var seq = seqOf(el);
    if (el.parentNode === ui.messages) ui.messages.removeChild(el);
    var items = ui.messages.children;
    for (var i = 0; i < items.length; i++) {
      if (items[i].classList.contains("msg") && seqOf(items[i]) > seq) {
        ui.messages.insertBefore(el, items[i]);
        return;
      }
    }
    ui.messages.appendChild(el);
  }

  function fillMessage(el, m) {
    clear(el);
    var author = m.author || "customer";
    el.className = "msg from-" + author;
    if (author === "agent") {
      var agent = m.agent || S.agent || { name: t("someone") };
      el.appendChild(
        h("div", { class: "who" }, avatar(agent), h("span", { class: "name", text: agent.name || "" }))
      );
    } else if (author === "customer") {
      el.appendChild(h("span", { class: "sr", text: t("you") + ": " }));
    }
    var bubble = h("div", { class: "bubble" });
    bubble.appendChild(h("p", { class: "text", text: String(m.text == null ? "" : m.text) }));
    var survey = author === "system" ? surveyButton(m.text) : null;
    if (survey) bubble.appendChild(survey);
    var files = m.attachments || [];
    if (files.length) {
      var list = h("ul", { class: "files" });
      files.forEach(function (a) {
        var label = String(a.name || "") + (a.size ? " (" + formatSize(a.size) + ")" : "");
        var url = a.url ? safeUrl(a.url) : null;
        list.appendChild(
          h(
            "li",
            null,
            url
              ? h("a", {
                  href: url,
                  rel: "noopener noreferrer",
                  target: "_blank",
                  download: String(a.name || ""),
                  text: label,
                })
              : h("span", { text: label })
          )
        );
      });
      bubble.appendChild(list);
    }
    el.appendChild(bubble);
    var meta = h("div", { class: "meta" }, h("time", { text: formatTime(m.at) }));
    if (author === "customer") meta.appendChild(h("span", { class: "state" }));
    el.appendChild(meta);
    if (m.seq) el.setAttribute("data-seq", String(m.seq));
    if (m.client_id) el.setAttribute("data-client-id", String(m.client_id));
  }

  function setState(el, state) {
    var span = el.querySelector(".state");
    el.classList.toggle("sending", state === "sending");
    el.classList.toggle("failed", state === "failed");
    el.setAttribute("data-state", state);
    if (span) span.textContent = " · " + t(state);
  }

  function ownState(el) {
    var seq = seqOf(el);
    if (seq !== Infinity && seq <= S.agentReadSeq) return "read";
    return seq === Infinity ? "sending" : "sent";
  }

  function refreshReadMarks() {
    ui.messages.querySelectorAll(".msg.from-customer[data-seq]").forEach(function (el) {
      if (el.getAttribute("data-state") !== "failed") setState(el, ownState(el));
    });
  }

  function showPending(p) {
    var cid = p.frame.client_id;
    if (S.bubbles.has(cid)) return;
    var el = h("li");
    fillMessage(el, {
      author: "customer",
      text: p.frame.text,
      attachments: p.files || [],
      client_id: cid,
      at: p.at,
    });
    if (p.frame.type === "start") el.setAttribute("data-start", "1");
    S.bubbles.set(cid, el);
    setState(el, "sending");
    place(el);
  }

  function noteSeq(seq) {
    if (seq > S.maxSeq) S.maxSeq = seq;
  }

  function onMessage(m) {
    var seq = Number(m.seq);
    if (!seq || S.shown.has(seq)) return;
    var own = m.client_id != null && S.bubbles.get(String(m.client_id));
    if (S.convState === "none" && S.ended && !own) return; // the ended chat, already shown before
    if (own) {
      var isStart = own.getAttribute("data-start") === "1";
      fillMessage(own, m);
      dropPending(m.client_id);
      if (isStart) startAcked(null);
      place(own);
      setState(own, ownState(own));
    } else {
      var el = h("li");
      fillMessage(el, m);
      place(el);
      if (m.author === "customer") setState(el, ownState(el));
      if (m.author === "agent") {
        setAgentTyping(false);
        if (m.agent) S.agent = m.agent;
        if (!S.panelOpen || document.visibilityState !== "visible") {
          if (seq > Number(load("read", 0))) S.unread++;
        }
      }
    }
    S.shown.add(seq);
    noteSeq(seq);
    render();
    scrollDown();
    maybeSendRead();
  }

  function dropPending(clientId) {
    var list = pending();
    var rest = list.filter(function (p) {
      return p.frame.client_id !== clientId;
    });
    if (rest.length !== list.length) setPending(rest);
    var timer = S.retryTimers.get(clientId);
    if (timer) {
      clearTimeout(timer);
      S.retryTimers.delete(clientId);
    }
  }

  function startAcked(conversationId) {
    if (conversationId) S.conv = { id: conversationId, status: "open" };
    if (S.convState !== "open") {
      S.convState = "open";
      S.ended = null;
    }
  }

  function onAck(f) {
    var cid = String(f.client_id);
    var el = S.bubbles.get(cid);
    var wasStart = pending().some(function (p) {
      return p.frame.client_id === cid && p.frame.type === "start";
    });
    dropPending(cid);
    if (S.errorKind === "rate_limited" && !S.retryTimers.size) showError(""); // caught up
    if (wasStart || (el && el.getAttribute("data-start") === "1")) startAcked(f.conversation_id);
    else if (f.conversation_id && !S.conv) S.conv = { id: f.conversation_id, status: "open" };
    if (el && f.seq) {
      el.setAttribute("data-seq", String(f.seq));
      place(el);
      setState(el, ownState(el));
      noteSeq(Number(f.seq));
    }
    render();
  }

  function localNote(text) {
    ui.messages.appendChild(h("li", { class: "note", text: text }));
    scrollDown();
  }

  /* ------------------------------------------------------------------ sending */

  function sendFrame(frame) {
    if (!S.ws || !S.welcomed || S.ws.readyState !== 1) return false;
    try {
      S.ws.send(JSON.stringify(frame));
      return true;
    } catch (e) {
      return false;
    }
  }

  function submitComposer() {
    var text = ui.text.value.trim();
    if (!text && !S.uploads.length) return;
    if (S.uploading) return;
    if (!text) {
      text = S.uploads
        .map(function (a) {
          return a.name;
        })
        .join(", ");
    }
    var limit = limits().text;
    if (text.length > limit) {
      showError(t("err_invalid"));
      return;
    }
    var files = S.uploads.splice(0);
    var starting = S.convState !== "open" && !pendingHasStart();
    var frame = {
      type: starting ? "start" : "message",
      client_id: uuid(),
      text: text,
      attachments: files.map(function (a) {
        return a.id;
      }),
    };
    if (starting) {
      frame.fields = S.fields || {};
      // A new chat after an ended one: the old transcript goes.
      if (S.convState === "ended") resetConversation(true);
    }
    var item = { frame: frame, files: files, at: new Date().toISOString() };
    var list = pending();
    list.push(item);
    setPending(list);
    showPending(item);
    ui.text.value = "";
    renderUploads();
    stopTyping();
    showError("");
    render();
    scrollDown();
    if (!sendFrame(frame)) {
      ensureToken().then(connect).catch(function () {});
    }
  }

  // After (re)connecting: every message not yet acknowledged, with its original client_id.
  function resendPending() {
    var list = pending();
    if (!list.length) return;
    var active = S.convState === "open";
    var keep = [];
    list.forEach(function (p, i) {
      var frame = Object.assign({}, p.frame);
      if (frame.type === "start" && active) {
        frame = { type: "message", client_id: frame.client_id, text: frame.text, attachments: frame.attachments };
      } else if (frame.type === "message" && !active && S.convState === "ended") {
        // Written for a chat that has ended in the meantime: it cannot be delivered.
        var el = S.bubbles.get(frame.client_id);
        if (el) setState(el, "failed");
        return;
      } else if (frame.type === "message" && !active && i === 0) {
        frame = Object.assign({}, frame, { type: "start", fields: S.fields || {} });
      }
      keep.push(p);
      showPending(p);
      sendFrame(frame);
    });
    if (keep.length !== list.length) setPending(keep);
  }

  function onTyping() {
    if (S.convState !== "open") return;
    // Debounced: "on" once (again every few seconds while the typing goes on), "off"
    // after a pause or on sending.
    var now = Date.now();
    if (ui.text.value.trim() && (!S.typingSent || now - S.typingSentAt > TYPING_REPEAT)) {
      if (sendFrame({ type: "typing", on: true })) {
        S.typingSent = true;
        S.typingSentAt = now;
      }
    }
    clearTimeout(S.typingTimer);
    S.typingTimer = setTimeout(stopTyping, TYPING_IDLE);
  }

  function stopTyping() {
    clearTimeout(S.typingTimer);
    S.typingTimer = null;
    if (S.typingSent) {
      S.typingSent = false;
      sendFrame({ type: "typing", on: false });
    }
  }

  function setAgentTyping(on, name) {
    clearTimeout(S.agentTypingTimer);
    ui.typing.textContent = on
      ? t("typing", { name: name || (S.agent && S.agent.name) || t("someone") })
      : "";
    if (on) S.agentTypingTimer = setTimeout(setAgentTyping, AGENT_TYPING_TIMEOUT, false);
  }

  function maybeSendRead() {
    if (!S.panelOpen || document.visibilityState !== "visible" || S.convState === "none") return;
    if (S.maxSeq > S.readSent && sendFrame({ type: "read", seq: S.maxSeq })) {
      S.readSent = S.maxSeq;
      save("read", S.maxSeq);
    }
  }

  function endChat() {
    if (S.convState !== "open") return;
    if (!sendFrame({ type: "end" })) {
      showError(t("notConnected"));
      return;
    }
    stopTyping();
    S.ended = { id: S.conv && S.conv.id, last: S.maxSeq };
    S.convState = "ended";
    render();
    ui.newChat.focus();
  }

  function resetConversation(keepEnded) {
    clear(ui.messages);
    S.shown = new Set();
    S.bubbles = new Map();
    S.readSent = 0;
    S.maxSeq = 0;
    S.agent = null;
    S.agentReadSeq = 0;
    S.queuePos = null;
    if (!keepEnded) S.ended = null;
    save("read", null);
    setAgentTyping(false);
  }

  function newChat() {
    if (!S.ended) S.ended = { id: S.conv && S.conv.id, last: S.maxSeq };
    var last = S.maxSeq;
    resetConversation(true);
    S.ended.last = Math.max(S.ended.last || 0, last);
    S.maxSeq = 0;
    S.convState = "none";
    S.conv = null;
    S.fields = null;
    save("fields", null);
    showError("");
    render();
    focusInside();
  }

  /* ------------------------------------------------------------------ attachments */

  var DEFAULT_TYPES = [
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
  ];

  function limits() {
    var l = (S.inbox && S.inbox.limits) || {};
    var out = { bytes: 10 * 1024 * 1024, types: DEFAULT_TYPES, text: 10000, files: 5 };
    Object.keys(l).forEach(function (k) {
      var v = l[k];
      if (typeof v === "number" && /byte|size/i.test(k)) out.bytes = v;
      else if (Array.isArray(v) && /type/i.test(k)) out.types = v;
      else if (typeof v === "number" && /text|char/i.test(k)) out.text = v;
      else if (typeof v === "number" && /attachments|files|count/i.test(k)) out.files = v;
    });
    return out;
  }

  function typeAllowed(type, types) {
    type = String(type || "").toLowerCase();
    return types.some(function (allowed) {
      allowed = String(allowed).toLowerCase();
      return allowed === type || (/\/\*$/.test(allowed) && type.indexOf(allowed.slice(0, -1)) === 0);
    });
  }

  function onFiles() {
    var files = Array.prototype.slice.call(ui.file.files || []);
    ui.file.value = "";
    var l = limits();
    showError("");
    files.forEach(function (file) {
      if (S.uploads.length + S.uploading >= l.files) {
        showError(t("tooMany", { n: l.files }));
        return;
      }
      if (file.size > l.bytes) {
        showError(t("tooBig", { name: file.name, max: formatSize(l.bytes) }));
        return;
      }
      if (!typeAllowed(file.type, l.types)) {
        showError(t("badType", { name: file.name }));
        return;
      }
      upload(file);
    });
  }

  function upload(file) {
    S.uploading++;
    var chip = h("li", { text: t("uploading", { name: file.name }) });
    ui.uploadsList.appendChild(chip);
    ui.uploadsList.hidden = false;
    ensureToken()
      .then(function () {
        var form = new FormData();
        form.append("file", file, file.name);
        return fetch(API + "/attachments", {
          method: "POST",
          headers: { Authorization: "Bearer " + S.token },
          body: form,
          credentials: "omit",
          mode: "cors",
        });
      })
      .then(function (response) {
        return response.json().then(
          function (body) {
            if (!response.ok) throw { status: response.status, body: body };
            return body;
          },
          function () {
            throw { status: response.status };
          }
        );
      })
      .then(function (att) {
        S.uploads.push({ id: att.id, name: att.name, type: att.type, size: att.size });
      })
      .catch(function (err) {
        var msg = t("uploadFailed", { name: file.name });
        if (err && err.status === 413) msg = t("tooBig", { name: file.name, max: formatSize(limits().bytes) });
        if (err && err.status === 415) msg = t("badType", { name: file.name });
        showError(msg);
      })
      .then(function () {
        S.uploading--;
        renderUploads();
      });
  }

  function renderUploads() {
    clear(ui.uploadsList);
    S.uploads.forEach(function (a, i) {
      ui.uploadsList.appendChild(
        h(
          "li",
          null,
          h("span", { text: a.name }),
          h(
            "button",
            {
              type: "button",
              class: "icon-btn",
              "aria-label": t("remove", { name: a.name }),
              onclick: function () {
                S.uploads.splice(i, 1);
                renderUploads();
                ui.text.focus();
              },
            },
            icon(ICON_CLOSE)
          )
        )
      );
    });
    ui.uploadsList.hidden = ui.composer.hidden || !S.uploads.length;
  }

  /* ------------------------------------------------------------------ HTTP */

  function api(method, path, body, auth) {
    var headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (auth && S.token) headers.Authorization = "Bearer " + S.token;
    return fetch(API + path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      mode: "cors",
    }).then(function (response) {
      return response
        .json()
        .catch(function () {
          return null;
        })
        .then(function (data) {
          if (!response.ok) throw { status: response.status, body: data };
          return data;
        });
    });
  }

  function problemText(err) {
    if (err && err.status === 429) {
      var after = (err.body && err.body.retry_after) || 60;
      return t("err_rate_limited", { s: after });
    }
    if (err && (err.status === 401 || err.status === 403 || err.status === 404)) {
      return t("unavailable");
    }
    // The server explains in English; other languages get a general message.
    if (LANG === "en" && err && err.body && typeof err.body.detail === "string") {
      if (err.status < 500) return err.body.detail;
    }
    return t("err_generic");
  }

  var inboxLoading = null;
  function fetchInbox() {
    if (inboxLoading) return inboxLoading;
    inboxLoading = api("GET", "/inboxes/" + encodeURIComponent(KEY))
      .then(function (inbox) {
        S.inbox = inbox || {};
        if ("open" in S.inbox) S.open = S.inbox.open !== false;
        S.nextOpenAt = S.inbox.next_open_at || null;
        S.incident = S.inbox.incident || null;
        var limit = limits();
        ui.text.setAttribute("maxlength", String(limit.text));
        ui.file.setAttribute("accept", limit.types.join(","));
        render();
      })
      .catch(function (err) {
        if (err && err.status === 404) {
          S.unavailable = true;
          S.stopped = true;
        }
        inboxLoading = null;
        render();
      });
    return inboxLoading;
  }

  var tokenLoading = null;
  function ensureToken() {
    if (S.token) return Promise.resolve(S.token);
    if (S.unavailable) return Promise.reject({ status: 404 });
    if (tokenLoading) return tokenLoading;
    var body = USER_ID && USER_HASH ? { user_id: USER_ID, user_hash: USER_HASH } : {};
    tokenLoading = api("POST", "/inboxes/" + encodeURIComponent(KEY) + "/visitors", body)
      .then(function (answer) {
        S.token = answer.token;
        save("token", { token: answer.token, visitor: answer.visitor, user: USER_ID || null });
        tokenLoading = null;
        return S.token;
      })
      .catch(function (err) {
        tokenLoading = null;
        throw err;
      });
    return tokenLoading;
  }

  /* ------------------------------------------------------------------ the socket */

  function connect() {
    if (S.ws || !S.token || S.stopped) return;
    clearTimeout(S.reconnectTimer);
    S.reconnectTimer = null;
    var ws;
    try {
      ws = new WebSocket(WS_URL);
    } catch (e) {
      scheduleReconnect();
      return;
    }
    S.ws = ws;
    S.welcomed = false;
    S.lastFrameAt = Date.now();
    ws.onopen = function () {
      if (ws !== S.ws) return;
      S.lastFrameAt = Date.now();
      var after = S.maxSeq;
      if (S.convState === "none" && S.ended) after = Math.max(after, S.ended.last || 0);
      // `after` counts in the conversation named here; the server starts from the
      // beginning when the visitor's current conversation is another one.
      var named = S.convState === "none" && S.ended ? S.ended.id : S.conv && S.conv.id;
      S.helloAfter = after;
      S.helloConv = typeof named === "number" ? named : null;
      var hello = { type: "hello", inbox: KEY, token: S.token, after: after };
      if (S.helloConv != null) hello.conversation_id = S.helloConv;
      ws.send(JSON.stringify(hello));
    };
    ws.onmessage = function (e) {
      if (ws !== S.ws) return;
      S.lastFrameAt = Date.now();
      var frame;
      try {
        frame = JSON.parse(e.data);
      } catch (err) {
        return;
      }
      if (frame && typeof frame === "object") handle(frame);
    };
    ws.onclose = function (e) {
      if (ws !== S.ws) return;
      dropSocket();
      onClosed(e.code);
    };
    ws.onerror = function () {
      /* a close event follows */
    };
    S.pingTimer = setInterval(function () {
      if (ws === S.ws && ws.readyState === 1) ws.send('{"type":"ping"}');
    }, PING_EVERY);
    S.watchTimer = setInterval(function () {
      if (ws === S.ws && Date.now() - S.lastFrameAt > DEAD_AFTER) {
        killSocket(); // silent for too long: a dead connection
        scheduleReconnect();
      }
    }, 5000);
    renderConn();
  }

  function dropSocket() {
    clearInterval(S.pingTimer);
    clearInterval(S.watchTimer);
    S.ws = null;
    S.welcomed = false;
    S.typingSent = false;
    renderConn();
  }

  function killSocket() {
    var ws = S.ws;
    dropSocket();
    if (ws) {
      try {
        ws.close();
      } catch (e) {
        /* already closing */
      }
    }
  }

  function onClosed(code) {
    if (code === 4404) {
      S.stopped = true;
      S.unavailable = true;
      render();
      return;
    }
    if (code === 4401) {
      // The token is no longer valid (another secret, another user): a new visitor.
      S.token = null;
      save("token", null);
      ensureToken()
        .then(function () {
          scheduleReconnect();
        })
        .catch(function () {
          scheduleReconnect();
        });
      return;
    }
    if (code === 4429) S.attempt = Math.max(S.attempt, 4);
    scheduleReconnect();
  }

  function scheduleReconnect() {
    if (S.stopped || S.reconnectTimer) return;
    var ceiling = Math.min(10000, 1000 * Math.pow(2, S.attempt));
    var delay = Math.max(500, ceiling / 2 + (Math.random() * ceiling) / 2);
    S.attempt++;
    S.reconnectTimer = setTimeout(function () {
      S.reconnectTimer = null;
      if (!S.token) {
        ensureToken().then(connect, scheduleReconnect);
      } else connect();
    }, delay);
  }

  function reconnectNow() {
    clearTimeout(S.reconnectTimer);
    S.reconnectTimer = null;
    S.attempt = 0;
    killSocket();
    if (S.token) connect();
  }

  function handle(f) {
    switch (f.type) {
      case "welcome":
        onWelcome(f);
        break;
      case "message":
        onMessage(f);
        break;
      case "ack":
        onAck(f);
        break;
      case "conversation":
        // A start opened a new conversation; its messages count from 1.
        if (f.conversation && f.conversation.id != null) {
          S.conv = { id: f.conversation.id, status: f.conversation.status };
          S.convState = f.conversation.status === "resolved" ? "ended" : "open";
          if (S.convState === "open") S.ended = null;
          render();
        }
        break;
      case "typing":
        setAgentTyping(!!f.on, f.name);
        break;
      case "read":
        if (Number(f.seq) > S.agentReadSeq) {
          S.agentReadSeq = Number(f.seq);
          refreshReadMarks();
        }
        break;
      case "assigned":
        if (f.agent && (!S.agent || S.agent.name !== f.agent.name)) {
          S.agent = f.agent;
          localNote(t("assigned", { name: f.agent.name }));
        }
        S.queuePos = null;
        render();
        break;
      case "queue":
        S.queuePos = Number(f.position) || null;
        render();
        break;
      case "status":
        if (S.conv) S.conv.status = f.status;
        if (f.status === "resolved") {
          if (S.convState === "open") {
            S.ended = { id: S.conv && S.conv.id, last: S.maxSeq };
            S.convState = "ended";
            stopTyping();
            setAgentTyping(false);
          }
        } else if (S.convState === "ended") {
          // The team reopened the chat: it goes on where it stopped.
          S.convState = "open";
          S.ended = null;
        } else if (S.convState === "none" && S.ended) {
          // Reopened after the visitor cleared it for a new chat: show it again, whole.
          var reopened = S.ended.id;
          resetConversation(false);
          S.conv = { id: reopened, status: f.status };
          S.convState = "open";
          reconnectNow();
        }
        render();
        break;
      case "error":
        onError(f);
        break;
      case "ping":
        if (S.ws && S.ws.readyState === 1) S.ws.send('{"type":"pong"}');
        break;
      default:
        break; // pong, and frames of later versions
    }
  }

  function onWelcome(f) {
    S.welcomed = true;
    S.everWelcomed = true;
    S.attempt = 0;
    if ("open" in f) S.open = f.open !== false;
    if ("next_open_at" in f) S.nextOpenAt = f.next_open_at;
    if ("incident" in f) S.incident = f.incident || null;
    S.queuePos = f.queue_position || null;
    if (f.agent) S.agent = f.agent;
    if (f.agent_read_seq > S.agentReadSeq) S.agentReadSeq = Number(f.agent_read_seq);

    var c = f.conversation;
    var active = c && c.status !== "resolved";
    if (c && S.helloConv != null && c.id !== S.helloConv) {
      // Another chat than the one on screen (started on another device): the server
      // sends it from its first message, so it replaces the one shown.
      resetConversation(false);
      S.conv = { id: c.id, status: c.status };
      S.convState = active ? "open" : "ended";
      if (!active) S.ended = { id: c.id, last: c.last_seq || 0 };
    } else if (active) {
      S.conv = { id: c.id, status: c.status };
      S.convState = "open";
      S.ended = null;
    } else if (c) {
      if (S.convState === "open" || (S.convState === "ended" && S.conv && S.conv.id === c.id)) {
        S.convState = "ended";
        S.ended = S.ended || { id: c.id, last: S.maxSeq };
      } else if (S.convState === "none" && !S.ended && !S.bubbles.size) {
        // A reload after the chat ended: show how it went, with a way to start anew.
        S.conv = { id: c.id, status: c.status };
        S.convState = "ended";
        S.ended = { id: c.id, last: c.last_seq || 0 };
      } else if (S.convState === "none" && !S.ended) {
        // A new chat is on its way (sent before a reload): the ended one stays hidden.
        S.ended = { id: c.id, last: c.last_seq || 0 };
      }
    } else if (S.convState === "open") {
      S.convState = "none";
    }
    refreshReadMarks();
    render();
    resendPending();
    maybeSendRead();
  }

  function onError(f) {
    var code = f.code || "generic";
    var text =
      code === "rate_limited"
        ? t("err_rate_limited", { s: f.retry_after || 10 })
        : STRINGS[LANG]["err_" + code]
        ? t("err_" + code)
        : f.message || t("err_generic");
    showError(text, code);
    if (!f.client_id) return;
    var cid = String(f.client_id);
    var item = pending().filter(function (p) {
      return p.frame.client_id === cid;
    })[0];
    var el = S.bubbles.get(cid);
    if (code === "rate_limited" && item) {
      // Nothing was stored: try again when the server allows it.
      clearTimeout(S.retryTimers.get(cid));
      S.retryTimers.set(
        cid,
        setTimeout(function () {
          S.retryTimers.delete(cid);
          var again = pending().filter(function (p) {
            return p.frame.client_id === cid;
          })[0];
          if (again) sendFrame(again.frame);
        }, (Number(f.retry_after) || 5) * 1000)
      );
      return;
    }
    if (
      code === "conversation_open" &&
      item &&
      item.frame.type === "start" &&
      !S.restarted.has(cid)
    ) {
      // The visitor already has an open chat (opened elsewhere, or reopened by the
      // team): nothing was stored. Follow that chat and send this message into it.
      S.restarted.add(cid);
      showError("");
      resetConversation(false);
      S.conv = null;
      S.convState = "none";
      reconnectNow();
      return;
    }
    dropPending(cid);
    if (el) {
      setState(el, "failed");
      S.bubbles.delete(cid);
    }
    if (code === "conversation_ended" && S.convState === "open") {
      S.ended = { id: S.conv && S.conv.id, last: S.maxSeq };
      S.convState = "ended";
    }
    render();
  }

  /* ------------------------------------------------------------------ start */

  function init() {
    build();
    var stored = load("token", null);
    if (stored && stored.token && (stored.user || null) === (USER_ID || null)) S.token = stored.token;
    else if (stored) save("token", null);
    var fields = load("fields", null);
    if (fields && typeof fields === "object") S.fields = fields;
    pending().forEach(showPending);
    fetchInbox();
    render();
    if (S.token) connect(); // a chat in progress continues on every page

    window.addEventListener("online", function () {
      if (!S.welcomed) reconnectNow();
      renderConn();
    });
    window.addEventListener("offline", function () {
      // The socket may linger without a network; treat it as lost and wait for `online`.
      if (S.ws) {
        killSocket();
        scheduleReconnect();
      }
      renderConn();
    });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState !== "visible") return;
      if (S.token && !S.ws && !S.stopped) reconnectNow();
      maybeSendRead();
    });
  }

  window.BalieWidget = Object.freeze({
    open: function () {
      if (ui.panel) openPanel();
    },
    close: function () {
      if (ui.panel) closePanel(false);
    },
  });

  if (document.body) init();
  else document.addEventListener("DOMContentLoaded", init);
})();
