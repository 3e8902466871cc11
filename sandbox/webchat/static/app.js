// sellerbot sandbox web chat. No framework and no build step: plain DOM, one event stream.
//
// Safety rule: nothing from the server is ever assigned to innerHTML. Bot messages are Telegram
// HTML; renderTelegramHtml() tokenizes it and rebuilds only the allowed tags with
// createElement/textContent, so any other markup shows up as literal text.
"use strict";

(function () {
  const CLIENT_HEADER = { "X-Sandbox-Client": "1" };
  const IMAGE_TYPES = /^image\/(png|jpeg|gif|webp)$/;

  const state = {
    personas: [],
    chats: {}, // key -> { messages: Map(id -> msg), topics: [], thread: null, unread: Map }
    active: null, // persona shown on narrow screens
    clockOffsetMs: 0,
    clockAheadSeconds: 0,
    demo: null,
    databaseResettable: true,
    botUsername: null, // the sandbox bot, whose start links the buyer persona opens
    linkOpener: null,
  };
  const panes = {}; // key -> DOM references

  // ----------------------------------------------------------------------------------------
  // Small DOM helpers
  // ----------------------------------------------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function $(id) {
    return document.getElementById(id);
  }

  let toastTimer = null;
  function toast(text, isError) {
    const box = $("toast");
    box.textContent = text;
    box.classList.toggle("error", Boolean(isError));
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => (box.hidden = true), isError ? 6000 : 3000);
  }

  async function api(path, body) {
    const init = { method: "POST", headers: { ...CLIENT_HEADER } };
    if (body instanceof FormData) {
      init.body = body;
    } else {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body || {});
    }
    const response = await fetch(path, init);
    let data = {};
    try {
      data = await response.json();
    } catch (_) {
      data = {};
    }
    if (!response.ok) throw new Error(data.error || response.statusText);
    return data;
  }

  function report(error) {
    toast(String(error && error.message ? error.message : error), true);
  }

  // ----------------------------------------------------------------------------------------
  // Telegram HTML -> DOM, through an allow-list
  // ----------------------------------------------------------------------------------------

  // Telegram's HTML subset; aliases map to one element each.
  const TAGS = {
    b: "b", strong: "b",
    i: "i", em: "i",
    u: "u", ins: "u",
    s: "s", strike: "s", del: "s",
    code: "code", pre: "pre", blockquote: "blockquote",
    a: "a", span: "span", "tg-spoiler": "span", "tg-emoji": null,
  };
  const NAMED_ENTITIES = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

  function decodeEntities(text) {
    return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, name) => {
      if (name[0] === "#") {
        const code = name[1] === "x" || name[1] === "X"
          ? parseInt(name.slice(2), 16)
          : parseInt(name.slice(1), 10);
        if (!Number.isFinite(code) || code < 0 || code > 0x10ffff) return whole;
        try {
          return String.fromCodePoint(code);
        } catch (_) {
          return whole;
        }
      }
      return Object.prototype.hasOwnProperty.call(NAMED_ENTITIES, name.toLowerCase())
        ? NAMED_ENTITIES[name.toLowerCase()]
        : whole;
    });
  }

  function parseAttributes(source) {
    const attrs = {};
    const pattern = /([a-zA-Z_:][a-zA-Z0-9_:.-]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g;
    let match;
    while ((match = pattern.exec(source))) {
      const value = match[2] ?? match[3] ?? match[4] ?? "";
      attrs[match[1].toLowerCase()] = decodeEntities(value);
    }
    return attrs;
  }

  function safeHref(href) {
    // Only web links open; tg:// and anything else (javascript:, data:) are never linked.
    return /^https?:\/\//i.test(href || "") ? href : null;
  }

  // A start link to this bot (t.me/<bot>?start=<payload>) is what a seller sends a buyer. In
  // Telegram, tapping it starts the bot with the payload; here the buyer persona opens it.
  const START_LINK = /^https?:\/\/(?:www\.)?(?:t|telegram)\.me\/([A-Za-z0-9_]{3,64})\/?\?start=([A-Za-z0-9_-]{1,64})$/i;

  function isStartLink(href) {
    const match = START_LINK.exec(href || "");
    return Boolean(match && state.botUsername
      && match[1].toLowerCase() === state.botUsername.toLowerCase());
  }

  function startLinkElement(href, text) {
    const link = el("a", "start-link", text);
    link.href = href;
    const opener = state.personas.find((p) => p.key === state.linkOpener);
    link.title = opener ? `Open as ${opener.name} (${opener.role.toLowerCase()})` : "Open";
    link.addEventListener("click", (event) => {
      event.preventDefault();
      openStartLink(href);
    });
    return link;
  }

  // Bare web addresses in a bot's text are links, as Telegram shows them.
  const URL_IN_TEXT = /https?:\/\/[^\s<>"']+/gi;

  function appendLinkified(parent, text) {
    let last = 0;
    for (const match of text.matchAll(URL_IN_TEXT)) {
      // Punctuation right after an address ends the sentence, not the address.
      const url = match[0].replace(/[.,;:!?)\]]+$/, "");
      if (match.index > last) parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      if (isStartLink(url)) {
        parent.appendChild(startLinkElement(url, url));
      } else {
        const link = el("a", null, url);
        link.href = url;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        parent.appendChild(link);
      }
      last = match.index + url.length;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function elementFor(name, attrs) {
    if (name === "a" && isStartLink(attrs.href)) {
      return startLinkElement(attrs.href);
    }
    if (name === "a") {
      const link = el("a");
      const href = safeHref(attrs.href);
      if (href) {
        link.href = href;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
      }
      if (attrs.href) link.title = attrs.href;
      return link;
    }
    if (name === "span" || name === "tg-spoiler") {
      const spoiler = el("span", "spoiler");
      spoiler.title = "Spoiler: click to reveal";
      spoiler.addEventListener("click", () => spoiler.classList.add("revealed"));
      return spoiler;
    }
    if (name === "blockquote") {
      const quote = el("blockquote");
      if ("expandable" in attrs) {
        quote.classList.add("expandable");
        quote.addEventListener("click", () => quote.classList.toggle("expanded"));
      }
      return quote;
    }
    const node = el(TAGS[name]);
    if (name === "code" && /^language-[\w+-]+$/.test(attrs.class || "")) {
      node.dataset.language = attrs.class.slice("language-".length);
    }
    return node;
  }

  function renderTelegramHtml(source) {
    const root = document.createDocumentFragment();
    const stack = [{ name: null, node: root }];
    const top = () => stack[stack.length - 1].node;
    const addText = (raw) => {
      if (!raw) return;
      const text = decodeEntities(raw);
      // Telegram does not turn addresses into links inside a link or code.
      if (stack.some((frame) => ["a", "code", "pre"].includes(frame.name))) {
        top().appendChild(document.createTextNode(text));
      } else {
        appendLinkified(top(), text);
      }
    };
    const tag = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)([^<>]*)>/g;
    let last = 0;
    let match;
    while ((match = tag.exec(source))) {
      const closing = match[1] === "/";
      const name = match[2].toLowerCase();
      const attrs = closing ? {} : parseAttributes(match[3]);
      const allowed = Object.prototype.hasOwnProperty.call(TAGS, name)
        && (name !== "span" || closing || (attrs.class || "") === "tg-spoiler");
      addText(source.slice(last, match.index));
      last = tag.lastIndex;
      if (!allowed) {
        // Not Telegram HTML: shown as the characters it is, never interpreted.
        top().appendChild(document.createTextNode(match[0]));
        continue;
      }
      if (closing) {
        const depth = stack.map((frame) => frame.name).lastIndexOf(name);
        if (depth > 0) stack.length = depth;
        continue;
      }
      if (TAGS[name] === null) {
        // tg-emoji: its text is the emoji; custom emoji images are not emulated.
        stack.push({ name, node: top() });
        continue;
      }
      const node = elementFor(name, attrs);
      top().appendChild(node);
      stack.push({ name, node });
    }
    addText(source.slice(last));
    return root;
  }

  // ----------------------------------------------------------------------------------------
  // Messages
  // ----------------------------------------------------------------------------------------

  function formatSize(bytes) {
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
    return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  }

  function formatTime(unixSeconds) {
    const date = new Date(unixSeconds * 1000);
    return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function fileUrl(file) {
    return `/api/files/${encodeURIComponent(file.file_id)}`;
  }

  function inlineKeyboard(persona, msg) {
    const keyboard = el("div", "inline-keyboard");
    for (const row of msg.reply_markup) {
      const line = el("div", "kb-row");
      for (const button of row) {
        const label = String(button.text ?? "");
        let node;
        if (typeof button.callback_data === "string") {
          node = el("button", "kb-button", label);
          node.type = "button";
          node.addEventListener("click", () => press(persona, msg.message_id, button.callback_data, node));
        } else if (safeHref(button.url)) {
          node = el("a", "kb-button", `${label} ↗`);
          node.href = safeHref(button.url);
          node.target = "_blank";
          node.rel = "noopener noreferrer";
        } else {
          node = el("button", "kb-button", label);
          node.type = "button";
          node.disabled = true;
          node.title = "This kind of button is not emulated";
        }
        line.appendChild(node);
      }
      keyboard.appendChild(line);
    }
    return keyboard;
  }

  function messageElement(persona, msg) {
    const wrap = el("div", `msg ${msg.from_bot ? "bot" : "user"}`);
    wrap.dataset.id = String(msg.message_id);
    if (msg.service) {
      wrap.className = "msg service";
      const label = msg.service === "forum_topic_created" ? "Topic created" : msg.service;
      wrap.appendChild(el("div", "bubble", label));
      return wrap;
    }
    const bubble = el("div", "bubble");
    if (msg.photo) {
      const img = el("img", "photo");
      img.src = fileUrl(msg.photo);
      img.alt = "Photo";
      img.loading = "lazy";
      bubble.appendChild(img);
    }
    if (msg.document) {
      const doc = msg.document;
      const link = el("a", "document");
      link.href = fileUrl(doc);
      link.download = doc.file_name || "file";
      link.appendChild(el("span", "document-icon", "📄"));
      const about = el("span");
      about.appendChild(el("div", "document-name", doc.file_name || "file"));
      about.appendChild(el("div", "document-size", formatSize(doc.file_size || 0)));
      link.appendChild(about);
      bubble.appendChild(link);
    }
    const body = msg.text ?? msg.caption;
    if (body) {
      const text = el("div", "text");
      if (msg.from_bot && String(msg.parse_mode || "").toLowerCase() === "html") {
        text.appendChild(renderTelegramHtml(body));
      } else if (msg.from_bot) {
        appendLinkified(text, body);
      } else {
        text.textContent = body;
      }
      bubble.appendChild(text);
    } else if (!msg.photo && !msg.document) {
      bubble.appendChild(el("div", "text", `[${msg.kind}]`));
    }
    const meta = el("span", "meta");
    const parts = [];
    if (msg.pinned) parts.push("📌");
    if (msg.edits && msg.edits.length) parts.push("edited");
    parts.push(formatTime(msg.date));
    meta.textContent = parts.join(" ");
    bubble.appendChild(meta);
    wrap.appendChild(bubble);
    if (msg.reply_markup && msg.reply_markup.length) {
      wrap.appendChild(inlineKeyboard(persona, msg));
    }
    return wrap;
  }

  function threadOf(msg) {
    return msg.message_thread_id ?? null;
  }

  function visibleIn(chat, msg) {
    const topicIds = new Set(chat.topics.map((t) => t.message_thread_id));
    const thread = threadOf(msg);
    // Messages of a topic the bot deleted have nowhere to show, as in Telegram.
    if (thread !== null && !topicIds.has(thread)) return false;
    return thread === chat.thread;
  }

  function renderMessages(key) {
    const chat = state.chats[key];
    const list = panes[key].messages;
    list.replaceChildren();
    const shown = [...chat.messages.values()]
      .filter((msg) => visibleIn(chat, msg))
      .sort((a, b) => a.message_id - b.message_id);
    const notice = chat.thread === null && chat.notice ? historyNotice(key, chat.notice) : null;
    if (notice) list.appendChild(notice);
    for (const msg of shown) list.appendChild(messageElement(key, msg));
    if (!shown.length && !notice) list.appendChild(emptyHint(key));
    list.scrollTop = list.scrollHeight;
    renderReplyKeyboard(key);
  }

  // A chat with no messages to show that the bot still remembers: say so, never look new.
  function historyNotice(key, notice) {
    const box = el("div", "history-notice");
    box.setAttribute("role", "note");
    const unfinished = notice.memory === "unfinished";
    const what = unfinished
      ? "The bot remembers an unfinished conversation in this chat"
      : "The bot remembers this chat";
    const why = notice.reason === "reset"
      ? "the chat history was reset, but the database was kept (DATABASE_URL is set)"
      : "the chat history from before was not saved";
    box.appendChild(el("p", null, `${what}, but its earlier messages are not shown: ${why}.`));
    box.appendChild(el("p", null, unfinished
      ? "Send /start to pick it up where you left off."
      : "Send /start to see where you are."));
    const button = el("button", "primary", "Send /start");
    button.type = "button";
    button.addEventListener("click", () => sendText(key, "/start"));
    box.appendChild(button);
    return box;
  }

  function emptyHint(key) {
    const chat = state.chats[key];
    return el("div", "empty", chat.thread === null
      ? "No messages yet. Send /start to begin."
      : "No messages in this topic yet.");
  }

  // While the demo plays, a pane shows the thread (main chat or topic) of its newest message.
  function followsDemo(chat, msg) {
    if (!state.demo || state.demo.state !== "running") return false;
    const thread = threadOf(msg);
    if (thread === chat.thread) return false;
    return thread === null || chat.topics.some((t) => t.message_thread_id === thread);
  }

  function upsertMessage(key, msg, fresh) {
    const chat = state.chats[key];
    chat.messages.set(msg.message_id, msg);
    if (fresh && followsDemo(chat, msg)) {
      // The guided demo's story moves between the main chat and a topic (a return case's
      // thread): the pane follows it, so a notice in the topic is seen, not just counted.
      chat.thread = threadOf(msg);
      chat.unread.delete(chat.thread);
      renderTopics(key);
      renderMessages(key);
      panes[key].messages.lastElementChild?.classList.add("fresh");
      if (key !== state.active) bumpPersonaBadge(key);
      markDemoTargets();
      return;
    }
    if (!visibleIn(chat, msg)) {
      if (fresh) {
        const thread = threadOf(msg);
        chat.unread.set(thread, (chat.unread.get(thread) || 0) + 1);
        renderTopics(key);
      }
      return;
    }
    const list = panes[key].messages;
    const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    const node = messageElement(key, msg);
    if (fresh) node.classList.add("fresh");
    const existing = list.querySelector(`.msg[data-id="${msg.message_id}"]`);
    if (existing) {
      existing.replaceWith(node); // an edit updates the bubble where it is
    } else {
      const empty = list.querySelector(".empty");
      if (empty) empty.remove();
      const later = [...list.querySelectorAll(".msg")].find(
        (other) => Number(other.dataset.id) > msg.message_id,
      );
      list.insertBefore(node, later || null);
    }
    if (nearBottom || (fresh && !msg.from_bot)) list.scrollTop = list.scrollHeight;
    const input = panes[key].input;
    if (fresh && !msg.from_bot && input.classList.contains("demo-typing")) {
      input.classList.remove("demo-typing"); // the demo's typed text was just sent
      input.value = "";
    }
    if (fresh && key !== state.active) bumpPersonaBadge(key);
    renderReplyKeyboard(key);
    markDemoTargets();
  }

  function removeMessage(key, messageId) {
    const chat = state.chats[key];
    chat.messages.delete(messageId);
    const node = panes[key].messages.querySelector(`.msg[data-id="${messageId}"]`);
    if (node) node.remove();
    renderReplyKeyboard(key);
  }

  // The reply keyboard is a chat-wide setting: the newest message that sets or removes one wins.
  function renderReplyKeyboard(key) {
    const chat = state.chats[key];
    const box = panes[key].replyKeyboard;
    let rows = null;
    const ordered = [...chat.messages.values()].sort((a, b) => a.message_id - b.message_id);
    for (const msg of ordered) {
      if (!msg.from_bot) continue;
      if (msg.reply_keyboard) rows = msg.reply_keyboard;
      else if (msg.reply_keyboard_removed) rows = null;
    }
    box.replaceChildren();
    box.hidden = !rows;
    if (!rows) return;
    for (const row of rows) {
      const line = el("div", "kb-row");
      for (const label of row) {
        const button = el("button", null, label);
        button.type = "button";
        button.addEventListener("click", () => sendText(key, String(label)));
        line.appendChild(button);
      }
      box.appendChild(line);
    }
  }

  // ----------------------------------------------------------------------------------------
  // Topics (private-chat topics become sub-tabs)
  // ----------------------------------------------------------------------------------------

  function renderTopics(key) {
    const chat = state.chats[key];
    const bar = panes[key].topics;
    bar.replaceChildren();
    if (!chat.topics.length) {
      bar.hidden = true;
      if (chat.thread !== null) {
        chat.thread = null;
        renderMessages(key);
      }
      return;
    }
    bar.hidden = false;
    const tabs = [{ message_thread_id: null, name: "General", closed: false }, ...chat.topics];
    for (const topic of tabs) {
      const tab = el("button", "topic-tab", topic.name);
      tab.type = "button";
      tab.classList.toggle("active", topic.message_thread_id === chat.thread);
      tab.classList.toggle("closed", Boolean(topic.closed));
      if (topic.closed) tab.title = "This topic is closed";
      const unread = chat.unread.get(topic.message_thread_id) || 0;
      if (unread) tab.appendChild(el("span", "badge", unread));
      tab.addEventListener("click", () => {
        chat.thread = topic.message_thread_id;
        chat.unread.delete(chat.thread);
        renderTopics(key);
        renderMessages(key);
      });
      bar.appendChild(tab);
    }
  }

  // ----------------------------------------------------------------------------------------
  // Personas and panes
  // ----------------------------------------------------------------------------------------

  function buildPane(persona) {
    const key = persona.key;
    const pane = el("section", "pane");
    pane.id = `pane-${key}`;
    pane.dataset.persona = key;
    pane.setAttribute("aria-label", `${persona.name}, ${persona.role}`);

    const head = el("header", "pane-head");
    head.appendChild(el("span", "avatar", persona.icon));
    const titles = el("div");
    const title = el("div", "pane-title", persona.name);
    title.appendChild(el("small", null, persona.role));
    titles.appendChild(title);
    const status = el("div", "pane-status", "chat with the bot");
    titles.appendChild(status);
    head.appendChild(titles);
    pane.appendChild(head);

    const topics = el("nav", "topic-tabs");
    topics.hidden = true;
    pane.appendChild(topics);

    const messages = el("div", "messages");
    messages.setAttribute("role", "log");
    messages.setAttribute("aria-live", "polite");
    pane.appendChild(messages);

    const replyKeyboard = el("div", "reply-keyboard");
    replyKeyboard.hidden = true;
    pane.appendChild(replyKeyboard);

    const form = el("form", "composer");
    const attach = el("label", "attach");
    attach.title = "Send a photo or a file";
    attach.appendChild(document.createTextNode("📎"));
    const file = el("input");
    file.type = "file";
    file.hidden = true;
    attach.appendChild(file);
    const input = el("input", "composer-text");
    input.type = "text";
    input.placeholder = "Message or /command";
    input.maxLength = 4096;
    input.autocomplete = "off";
    input.setAttribute("aria-label", `Message as ${persona.name}`);
    const send = el("button", "send", "Send");
    send.type = "submit";
    form.append(attach, input, send);
    pane.appendChild(form);

    // The pane last used stays in front when the window gets narrow.
    pane.addEventListener("focusin", () => activate(key));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = input.value;
      if (!text.trim()) return;
      input.classList.remove("demo-typing");
      sendText(key, text).then((ok) => {
        if (ok) input.value = "";
      });
    });
    file.addEventListener("change", () => {
      const chosen = file.files && file.files[0];
      if (chosen) upload(key, chosen, input);
      file.value = "";
    });

    panes[key] = { pane, messages, topics, replyKeyboard, input, status };
    return pane;
  }

  function buildPersonas(personas) {
    state.personas = personas;
    const container = $("panes");
    const tabs = $("persona-tabs");
    container.replaceChildren();
    tabs.replaceChildren();
    for (const persona of personas) {
      container.appendChild(buildPane(persona));
      const tab = el("button", "persona-tab", `${persona.icon} ${persona.name} · ${persona.role}`);
      tab.type = "button";
      tab.dataset.persona = persona.key;
      tab.setAttribute("role", "tab");
      tab.addEventListener("click", () => activate(persona.key));
      tabs.appendChild(tab);
    }
    activate(state.active && panes[state.active] ? state.active : personas[0].key);
  }

  function activate(key) {
    state.active = key;
    for (const [other, refs] of Object.entries(panes)) {
      refs.pane.classList.toggle("active", other === key);
    }
    for (const tab of $("persona-tabs").children) {
      const on = tab.dataset.persona === key;
      tab.classList.toggle("active", on);
      tab.setAttribute("aria-selected", String(on));
      if (on) {
        const badge = tab.querySelector(".badge");
        if (badge) badge.remove();
      }
    }
  }

  const narrowScreen = window.matchMedia("(max-width: 900px)");

  function bumpPersonaBadge(key) {
    if (!narrowScreen.matches) return; // side by side, every pane is in view
    const tab = [...$("persona-tabs").children].find((t) => t.dataset.persona === key);
    if (!tab) return;
    let badge = tab.querySelector(".badge");
    if (!badge) {
      badge = el("span", "badge", "0");
      tab.appendChild(badge);
    }
    badge.textContent = String(Number(badge.textContent) + 1);
  }

  const typingTimers = {};
  function showChatAction(key, action) {
    const status = panes[key] && panes[key].status;
    if (!status) return;
    status.textContent = action === "typing" ? "typing…" : `${action.replace(/_/g, " ")}…`;
    status.classList.add("typing");
    clearTimeout(typingTimers[key]);
    typingTimers[key] = setTimeout(() => {
      status.textContent = "chat with the bot";
      status.classList.remove("typing");
    }, 3000);
  }

  function showCallbackAnswer(key, event) {
    if (!event.text) return;
    const pane = panes[key].pane;
    if (event.show_alert) {
      const overlay = el("div", "pane-alert");
      const box = el("div", "pane-alert-box", event.text);
      const ok = el("button", null, "OK");
      ok.type = "button";
      ok.addEventListener("click", () => overlay.remove());
      box.appendChild(ok);
      overlay.appendChild(box);
      pane.appendChild(overlay);
      ok.focus();
      return;
    }
    const note = el("div", "pane-toast", event.text);
    pane.appendChild(note);
    setTimeout(() => note.remove(), 3500);
  }

  // ----------------------------------------------------------------------------------------
  // Actions
  // ----------------------------------------------------------------------------------------

  async function sendText(key, text) {
    const chat = state.chats[key];
    try {
      await api(`/api/personas/${key}/messages`, { text, thread_id: chat.thread });
      return true;
    } catch (error) {
      report(error);
      return false;
    }
  }

  async function press(key, messageId, data, button) {
    button.classList.add("pending");
    try {
      await api(`/api/personas/${key}/callbacks`, { message_id: messageId, callback_data: data });
    } catch (error) {
      report(error);
    } finally {
      button.classList.remove("pending");
    }
  }

  async function upload(key, file, input) {
    const form = new FormData();
    form.append("file", file, file.name);
    form.append("kind", IMAGE_TYPES.test(file.type) ? "photo" : "document");
    const caption = input.value.trim();
    if (caption) form.append("caption", caption);
    const thread = state.chats[key].thread;
    if (thread !== null) form.append("thread_id", String(thread));
    try {
      await api(`/api/personas/${key}/files`, form);
      if (caption) input.value = "";
    } catch (error) {
      report(error);
    }
  }

  async function openStartLink(url) {
    try {
      const result = await api("/api/links/open", { url });
      activate(result.persona);
      const opener = state.personas.find((p) => p.key === result.persona);
      toast(`🔗 ${opener ? opener.name : "The buyer"} opened the link`);
    } catch (error) {
      report(error);
    }
  }

  function describeSeconds(seconds) {
    if (seconds % 604800 === 0) return `${seconds / 604800} week(s)`;
    if (seconds % 86400 === 0) return `${seconds / 86400} day(s)`;
    if (seconds % 3600 === 0) return `${seconds / 3600} hour(s)`;
    return `${seconds} s`;
  }

  async function fastForward(seconds) {
    try {
      const result = await api("/api/clock/advance", { seconds });
      const jobs = result.jobs_run.length;
      toast(`⏩ Time moved ${describeSeconds(seconds)} ahead` +
        (jobs ? ` — ran ${jobs} scheduled job${jobs === 1 ? "" : "s"}` : ""));
    } catch (error) {
      report(error);
    }
  }

  function anyMessages() {
    return Object.values(state.chats).some((chat) => chat.messages.size > 0);
  }

  async function reset() {
    const question = state.databaseResettable
      ? "Reset the sandbox? Every chat and the sandbox database are cleared."
      : "Reset the sandbox? Every chat is cleared. The database is kept (DATABASE_URL is set), "
        + "so the bot still remembers what was done.";
    if (!window.confirm(question)) return;
    try {
      const result = await api("/api/reset");
      toast(result.database_wiped
        ? "The sandbox was reset."
        : "The chats were cleared; the database was kept, so the bot still remembers them.");
    } catch (error) {
      report(error);
    }
  }

  async function startDemo() {
    if (anyMessages() && !window.confirm(
      "The guided demo starts from a fresh sandbox: the current chats are cleared. Continue?",
    )) return;
    try {
      await api("/api/demo/start");
    } catch (error) {
      report(error);
    }
  }

  // ----------------------------------------------------------------------------------------
  // Clock and demo display
  // ----------------------------------------------------------------------------------------

  function setClock(clock) {
    state.clockOffsetMs = Date.parse(clock.now) - Date.now();
    state.clockAheadSeconds = clock.offset_seconds;
    renderClock();
  }

  function renderClock() {
    const node = $("clock");
    const now = new Date(Date.now() + state.clockOffsetMs);
    const text = now.toISOString().slice(0, 16).replace("T", " ") + " UTC";
    const ahead = state.clockAheadSeconds;
    if (ahead > 0) {
      const days = Math.floor(ahead / 86400);
      const hours = Math.floor((ahead % 86400) / 3600);
      const parts = [days ? `${days} d` : "", hours ? `${hours} h` : ""].filter(Boolean);
      node.textContent = `🕒 ${text} (+${parts.join(" ") || "<1 h"})`;
    } else {
      node.textContent = `🕒 ${text}`;
    }
    node.classList.toggle("ahead", ahead > 0);
  }

  let demoCloseTimer = null;
  function setDemo(demo) {
    state.demo = demo;
    const banner = $("demo-banner");
    const text = $("demo-text");
    const running = demo.state === "running";
    $("demo-button").disabled = running;
    $("demo-stop").hidden = !running;
    $("demo-close").hidden = running;
    banner.classList.toggle("failed", demo.state === "failed");
    banner.classList.toggle("done", demo.state === "done");
    clearTimeout(demoCloseTimer);
    for (const refs of Object.values(panes)) {
      refs.pane.classList.toggle("demo-focus", running && refs.pane.dataset.persona === demo.persona);
      if (refs.input.classList.contains("demo-typing")) {
        refs.input.classList.remove("demo-typing");
        refs.input.value = "";
      }
    }
    if (demo.state === "idle") {
      banner.hidden = true;
      markDemoTargets();
      return;
    }
    banner.hidden = false;
    if (running) {
      const where = demo.total ? ` · step ${demo.step}/${demo.total}` : "";
      text.textContent = `▶ Demo: ${demo.flow_title || "starting…"}${where}${demo.note ? ` — ${demo.note}` : ""}`;
      if (demo.persona && panes[demo.persona]) {
        activate(demo.persona);
        // Show what is about to be typed, as a person would type it.
        if (demo.action === "send" && demo.argument) {
          const input = panes[demo.persona].input;
          input.value = demo.argument;
          input.classList.add("demo-typing");
        }
      }
    } else {
      const labels = { done: "✅", stopped: "■ Demo stopped:", failed: "⚠ Demo failed:" };
      text.textContent = `${labels[demo.state] || ""} ${demo.message || ""}`.trim();
      if (demo.state !== "failed") demoCloseTimer = setTimeout(() => (banner.hidden = true), 6000);
    }
    markDemoTargets();
  }

  // Highlights the button the demo is about to press.
  function markDemoTargets() {
    for (const node of document.querySelectorAll(".demo-target")) node.classList.remove("demo-target");
    const demo = state.demo;
    if (!demo || demo.state !== "running" || demo.action !== "press" || !panes[demo.persona]) return;
    const wanted = String(demo.argument || "").toLowerCase();
    const buttons = [...panes[demo.persona].messages.querySelectorAll(".kb-button")]
      .filter((b) => b.textContent.toLowerCase().includes(wanted));
    if (buttons.length) buttons[buttons.length - 1].classList.add("demo-target");
  }

  // ----------------------------------------------------------------------------------------
  // Event stream
  // ----------------------------------------------------------------------------------------

  function applyState(snapshot) {
    state.botUsername = snapshot.bot_username || null;
    state.linkOpener = snapshot.link_opener || null;
    if (!state.personas.length || state.personas.length !== snapshot.personas.length) {
      buildPersonas(snapshot.personas);
    }
    for (const persona of snapshot.personas) {
      const previous = state.chats[persona.key];
      const chat = {
        messages: new Map(),
        topics: snapshot.chats[persona.key].topics,
        notice: snapshot.chats[persona.key].notice || null,
        thread: previous ? previous.thread : null,
        unread: new Map(),
      };
      if (chat.thread !== null && !chat.topics.some((t) => t.message_thread_id === chat.thread)) {
        chat.thread = null;
      }
      for (const msg of snapshot.chats[persona.key].messages) chat.messages.set(msg.message_id, msg);
      state.chats[persona.key] = chat;
      renderTopics(persona.key);
      renderMessages(persona.key);
    }
    setClock(snapshot.clock);
    setDemo(snapshot.demo);
    state.databaseResettable = snapshot.database_resettable !== false;
    $("reset-button").title = state.databaseResettable
      ? "Forget every chat and the sandbox database"
      : "Clear every chat (the database set by DATABASE_URL is kept)";
    document.body.dataset.ready = "true";
  }

  function handle(event) {
    switch (event.type) {
      case "state":
        applyState(event);
        break;
      case "message":
        upsertMessage(event.persona, event.message, true);
        break;
      case "edit":
        upsertMessage(event.persona, event.message, false);
        break;
      case "delete":
        removeMessage(event.persona, event.message_id);
        break;
      case "topics":
        state.chats[event.persona].topics = event.topics;
        renderTopics(event.persona);
        renderMessages(event.persona);
        break;
      case "callback_answer":
        showCallbackAnswer(event.persona, event);
        break;
      case "chat_action":
        showChatAction(event.persona, event.action || "typing");
        break;
      case "clock":
        setClock(event.clock);
        break;
      case "demo":
        setDemo(event.demo);
        break;
      case "reset":
        for (const key of Object.keys(state.chats)) {
          state.chats[key].messages.clear();
          state.chats[key].notice = null;
          state.chats[key].thread = null;
        }
        break;
      default:
        break;
    }
  }

  function connect() {
    const source = new EventSource("/api/events");
    source.onopen = () => {
      $("connection").hidden = true;
    };
    source.onerror = () => {
      // EventSource reconnects by itself; the server sends a fresh snapshot when it does.
      $("connection").hidden = false;
    };
    source.onmessage = (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch (_) {
        return;
      }
      handle(event);
    };
  }

  function init() {
    for (const button of document.querySelectorAll("[data-advance]")) {
      button.addEventListener("click", () => fastForward(Number(button.dataset.advance)));
    }
    $("reset-button").addEventListener("click", reset);
    $("demo-button").addEventListener("click", startDemo);
    $("demo-stop").addEventListener("click", () => api("/api/demo/stop").catch(report));
    $("demo-close").addEventListener("click", () => ($("demo-banner").hidden = true));
    setInterval(renderClock, 15000);
    connect();
  }

  // Exposed for the browser test's sanitizer check; not used by the page itself.
  window.sellerbotSandbox = { renderTelegramHtml };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
