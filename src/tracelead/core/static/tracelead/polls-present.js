// The presenter's screen. It asks live.json every 400 ms with the last ETag (a 304 while
// nothing changed) and draws the results; the buttons post with fetch so that the browser
// stays in full screen. Everything typed by participants is set as text, never as HTML.
const root = document.querySelector(".tl-present");
const el = (tag, attrs = {}, text) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
};
const fmt = (value, places = 1) => (value === null || value === undefined ? "–" : Number(value).toFixed(places));

function bars(rows) {
  const most = Math.max(1, ...rows.map((r) => r.count));
  const list = el("ul", { class: "tl-bars" });
  for (const row of rows) {
    const item = el("li");
    item.append(el("span", { class: "tl-bars__label" }, row.label));
    const track = el("span", { class: "tl-bars__track", "aria-hidden": "true" });
    const fill = el("span", { class: "tl-bars__fill" });
    fill.style.width = `${(100 * row.count) / most}%`;
    fill.style.display = "block";
    track.append(fill);
    item.append(track, el("span", { class: "tl-bars__count" }, String(row.count)));
    list.append(item);
  }
  return list;
}

function drawResults(box, data, question) {
  const r = data.results;
  if (!r) return;
  if (r.kind === "scale") {
    const rows = r.values.map((v, i) => {
      let label = String(v);
      if (i === 0 && question.low_label) label += ` (${question.low_label})`;
      if (i === r.values.length - 1 && question.high_label) label += ` (${question.high_label})`;
      return { label, count: r.counts[i] };
    });
    box.append(bars(rows), el("p", { id: "tl-mean" }, `Average ${fmt(r.mean)} from ${r.n} ${r.n === 1 ? "answer" : "answers"}`));
  } else if (r.kind === "single" || r.kind === "multiple") {
    box.append(bars(r.options.map((label, i) => ({ label, count: r.counts[i] }))));
  } else if (r.kind === "words") {
    const cloud = el("p", { class: "tl-cloud" });
    const most = Math.max(1, ...r.words.map((w) => w.count));
    for (const w of r.words) {
      const span = el("span", { title: `${w.count}` }, w.word);
      span.style.fontSize = `${1 + (2.2 * w.count) / most}em`;
      span.append(el("span", { class: "nhsuk-u-visually-hidden" }, ` (${w.count})`));
      cloud.append(span);
    }
    box.append(r.words.length ? cloud : el("p", {}, "No words yet."));
  } else if (r.kind === "text") {
    const list = el("ul", { class: "tl-texts" });
    for (const t of r.texts.slice(0, 30)) {
      const item = el("li", {}, t.text);
      if (t.name) item.append(el("small", {}, t.name));
      list.append(item);
    }
    box.append(r.texts.length ? list : el("p", {}, "No answers yet."));
  } else if (r.kind === "ranking") {
    box.append(bars(r.ranking.map((o) => ({ label: `${o.option} (average place ${fmt(o.mean_position)})`, count: o.points }))),
      el("p", {}, "Points: an option earns one point for each option ranked below it."));
  } else if (r.kind === "ideas") {
    const shown = r.ideas.filter((i) => !i.hidden);
    box.append(shown.length ? bars(shown.map((i) => ({ label: i.name ? `${i.text} – ${i.name}` : i.text, count: i.votes })))
      : el("p", {}, "No ideas yet."));
  }
}

function drawPulse(box, pulse) {
  const table = el("table", { class: "tl-pulse" });
  table.append(el("caption", { class: "nhsuk-u-visually-hidden" }, "Each condition's level and sharedness in the room"));
  const head = el("tr");
  for (const h of ["Condition", "Level (1 to 5)", "", "Sharedness", "People"]) {
    // The bar column only repeats the level as a picture: hidden from screen readers,
    // and on a narrow screen altogether.
    head.append(h ? el("th", { scope: "col" }, h) : el("td", { class: "tl-pulse__bar", "aria-hidden": "true" }));
  }
  const thead = el("thead");
  thead.append(head);
  table.append(thead);
  const body = el("tbody");
  for (const c of pulse.conditions) {
    const row = el("tr", { "data-condition": c.key });
    row.append(el("th", { scope: "row" }, `${c.name} (${c.role})`));
    row.append(el("td", { class: "tl-pulse__level" }, fmt(c.level)));
    const cell = el("td", { class: "tl-pulse__bar", "aria-hidden": "true" });
    const track = el("span", { class: "tl-bars__track" });
    track.style.display = "block";
    const fill = el("span", { class: "tl-bars__fill" });
    fill.style.display = "block";
    fill.style.width = c.level === null ? "0%" : `${(100 * (c.level - 1)) / 4}%`;
    track.append(fill);
    cell.append(track);
    row.append(cell);
    row.append(el("td", { class: "tl-pulse__shared" }, c.sharedness ? `${c.sharedness} (rwg ${fmt(c.rwg, 2)})` : "–"));
    row.append(el("td", {}, String(c.n)));
    body.append(row);
  }
  table.append(body);
  box.append(table);
  if (pulse.focus) {
    box.append(el("p", { class: "tl-present__focus", id: "tl-focus" },
      `Talk about ${pulse.focus.name} first: ${pulse.focus.why}. It calls for the ${pulse.focus.role}.`));
  }
}

function setStep(id, action, label) {
  const button = document.getElementById(id);
  const input = document.getElementById(`${id}-action`);
  if (button && input) { button.textContent = label; input.value = action; }
}

function draw(data) {
  const q = data.question;
  document.getElementById("tl-joined").textContent = String(data.participants);
  document.getElementById("tl-votes").textContent = String(q ? q.votes : 0);
  const status = document.getElementById("tl-q-status");
  const prompt = document.getElementById("tl-q-prompt");
  const box = document.getElementById("tl-results");
  box.replaceChildren();
  if (data.ended) status.textContent = "The poll has ended.";
  if (!q) {
    if (!data.ended) status.textContent = "Not started";
    box.append(el("p", {}, "Press “Next” to show the first question."));
    return;
  }
  if (!data.ended) {
    const state = { open: "open for votes", closed: "voting closed", waiting: "not open yet" }[q.status];
    status.textContent = `Question ${q.number} of ${q.of}: ${state}`;
  }
  prompt.textContent = q.prompt;
  setStep("tl-voting", q.status === "open" ? "close" : "open", q.status === "open" ? "Close voting" : "Open voting");
  setStep("tl-reveal", q.hidden ? "reveal" : "hide", q.hidden ? "Reveal results" : "Hide results");
  setStep("tl-end", data.ended ? "reopen" : "end", data.ended ? "Reopen the poll" : "End the poll");
  if (q.hidden) {
    box.append(el("p", { id: "tl-hidden" }, `Results are hidden until you reveal them. ${q.votes} ${q.votes === 1 ? "person has" : "people have"} answered.`));
  } else if (data.pulse) {
    drawPulse(box, data.pulse);
  } else {
    drawResults(box, data, q);
  }
}

if (root) {
  const liveUrl = root.dataset.liveUrl;
  const every = Number(root.dataset.every) || 400;
  let etag = "";
  let timer = 0;
  draw(JSON.parse(document.getElementById("tl-live-data").textContent));
  const look = async () => {
    window.clearTimeout(timer);
    try {
      const response = await fetch(liveUrl, { headers: etag ? { "If-None-Match": etag } : {}, cache: "no-store" });
      if (response.status === 200) {
        etag = response.headers.get("ETag") || "";
        draw(await response.json());
      }
    } catch (error) {
      // The network dropped for a moment: the next look catches up.
    }
    timer = window.setTimeout(look, every);
  };
  timer = window.setTimeout(look, every);

  for (const form of root.querySelectorAll(".tl-present__form")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      // The form's own input named "action" shadows form.action: read the attribute.
      const response = await fetch(form.getAttribute("action"), {
        method: "POST", body: new FormData(form), headers: { Accept: "application/json" },
      });
      if (!response.ok) {
        const problem = await response.json().catch(() => ({}));
        window.alert(problem.error || "That did not work. Try again.");
      }
      etag = "";
      look();
    });
  }
  const full = document.getElementById("tl-fullscreen");
  if (full && document.documentElement.requestFullscreen) {
    full.hidden = false;
    full.addEventListener("click", () => {
      if (document.fullscreenElement) document.exitFullscreen();
      else document.documentElement.requestFullscreen();
    });
  }
}
