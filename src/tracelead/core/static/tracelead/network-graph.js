// The relationships network page: Cytoscape.js (loaded before this module as
// window.cytoscape) draws the graph from the page's data.json. Facilitators get people
// (named); everyone else gets organisations or sectors, with no member's id or name.
// Positions come laid out from the server, so the browser only draws ("preset"), which
// keeps pan, zoom and the filters quick with thousands of people.

const ORGANISATION_COLOURS = [
  "#005eb8", "#ed8b00", "#009639", "#ae2573", "#330072", "#41b6e6", "#8a1538", "#00a499",
  "#ffb81c", "#425563", "#78be20", "#7c2855",
];
const LARGE = 800;
// The server lays the graph out in a square of 1000; spread it so that circles of a few
// units across sit a little apart whatever the number of people.
const LAYOUT_SIZE = 1000;
const spread = (count, gap, least) => Math.max(least, Math.sqrt(count) * gap) / LAYOUT_SIZE;
const DATE = new Intl.DateTimeFormat("en-GB", {
  day: "numeric", month: "long", year: "numeric", timeZone: "UTC",
});

const root = document.getElementById("network-graph");
const $ = (id) => document.getElementById(id);

function dayText(baseline, days) {
  const start = Date.parse(`${baseline}T00:00:00Z`);
  return DATE.format(new Date(start + days * 86400000));
}

function plural(count, one, many) {
  return `${count.toLocaleString("en-GB")} ${count === 1 ? one : many}`;
}

function option(select, value, text) {
  const item = document.createElement("option");
  item.value = String(value);
  item.textContent = text;
  select.append(item);
}

function legend(entries) {
  const list = $("network-legend");
  list.replaceChildren();
  for (const [colour, text] of entries) {
    const item = document.createElement("li");
    const swatch = document.createElement("span");
    swatch.className = "tl-network__swatch";
    swatch.setAttribute("aria-hidden", "true");
    swatch.style.backgroundColor = colour;
    item.append(swatch, document.createTextNode(text));
    list.append(item);
  }
  $("network-legend-heading").hidden = entries.length === 0;
}

function schedule(work) {
  let pending = false;
  return () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; work(); });
  };
}

function baseStyle(extra) {
  return [
    { selector: "node", style: {
      "background-color": "data(colour)", width: "data(size)", height: "data(size)",
      "border-width": 1, "border-color": "#ffffff",
    } },
    { selector: "edge", style: {
      "curve-style": "haystack", "haystack-radius": 0, width: "data(width)",
      "line-color": "#768692", opacity: 0.45,
    } },
    { selector: ".hidden", style: { display: "none" } },
    { selector: "node.context", style: { opacity: 0.35 } },
    { selector: "node:selected", style: { "border-width": 3, "border-color": "#212b32" } },
    { selector: "node.hover, node:selected, node.labelled", style: {
      label: "data(label)", "font-size": 11, color: "#212b32", "text-valign": "bottom",
      "text-margin-y": 3, "text-background-color": "#ffffff", "text-background-opacity": 0.8,
      "text-background-padding": 1, "min-zoomed-font-size": 7,
    } },
    ...extra,
  ];
}

function makeGraph(elements, large) {
  return window.cytoscape({
    container: root,
    elements,
    layout: { name: "preset", fit: true, padding: 20 },
    style: baseStyle([]),
    minZoom: 0.02,
    maxZoom: 3,
    boxSelectionEnabled: false,
    autoungrabify: large,
    textureOnViewport: large,
    hideEdgesOnViewport: large,
    pixelRatio: large ? 1 : "auto",
  });
}

function controls(cy, update) {
  $("network-controls").hidden = false;
  const when = $("network-when");
  const redraw = schedule(update);
  for (const id of ["network-sector", "network-organisation", "network-kind"]) {
    $(id)?.addEventListener("change", redraw);
  }
  when.addEventListener("input", redraw);
  const zoom = (factor) => cy.zoom({
    level: cy.zoom() * factor,
    renderedPosition: { x: root.clientWidth / 2, y: root.clientHeight / 2 },
  });
  $("network-zoom-in").addEventListener("click", () => zoom(1.4));
  $("network-zoom-out").addEventListener("click", () => zoom(1 / 1.4));
  $("network-fit").addEventListener("click", () => cy.fit(cy.elements(":visible"), 30));
  cy.on("mouseover", "node", (event) => event.target.addClass("hover"));
  cy.on("mouseout", "node", (event) => event.target.removeClass("hover"));
}

function timeline(data) {
  const when = $("network-when");
  when.max = String(data.timeline.days);
  when.value = String(Math.min(data.timeline.end, data.timeline.days));
  const show = () => {
    const text = dayText(data.timeline.baseline, Number(when.value));
    $("network-when-text").textContent = text;
    when.setAttribute("aria-valuetext", text);
  };
  show();
  when.addEventListener("input", show);
}

// --- People (facilitators) -----------------------------------------------------------------

function people(data) {
  const large = data.nodes.length > LARGE;
  const sectors = data.sectors;
  const scale = spread(data.nodes.length, 45, 240);
  const count = data.nodes.length;
  const index = new Map(data.nodes.map((n, i) => [n.id, i]));
  const joined = Int32Array.from(data.nodes, (n) => n.joined);
  const sectorOf = Int32Array.from(data.nodes, (n) => n.sector);
  const orgOf = Int32Array.from(data.nodes, (n) => n.org);
  const ends = data.edges.map(([a, b]) => [index.get(a), index.get(b)]);
  // The first day each pair had a tie of each kind (and of any kind): the time slider and
  // the kind filter then need one comparison per pair.
  const never = 2 ** 30;
  const kinds = data.kinds.map((k) => k.code);
  const firstAny = new Int32Array(ends.length).fill(never);
  const firstOf = kinds.map(() => new Int32Array(ends.length).fill(never));
  data.edges.forEach(([, , steps], e) => {
    for (const [day, kind] of steps) {
      firstAny[e] = Math.min(firstAny[e], day);
      firstOf[kind][e] = Math.min(firstOf[kind][e], day);
    }
  });
  const cy = makeGraph([
    ...data.nodes.map((n) => ({
      group: "nodes",
      data: { id: `p${n.id}`, label: n.name, org: n.org, sector: n.sector,
              colour: sectors[n.sector].colour, size: 8 },
      position: { x: n.x * scale, y: n.y * scale },
    })),
    ...data.edges.map(([a, b], e) => ({
      group: "edges", data: { id: `t${e}`, source: `p${a}`, target: `p${b}`, width: 1.5 },
    })),
  ], large);
  const nodeEls = data.nodes.map((n) => cy.getElementById(`p${n.id}`));
  const edgeEls = data.edges.map((_, e) => cy.getElementById(`t${e}`));
  // What is drawn now, so that an update touches only what changes.
  const edgeShown = new Uint8Array(ends.length).fill(1);
  const nodeShown = new Uint8Array(count).fill(1);
  const nodeFaded = new Uint8Array(count);
  const nodeSize = new Float32Array(count).fill(8);
  const degree = new Int32Array(count);
  for (const [i, s] of sectors.entries()) option($("network-sector"), i, s.label);
  for (const [i, name] of data.organisations.entries()) {
    option($("network-organisation"), i, name);
  }
  timeline(data);

  function colour() {
    const byOrganisation = $("network-colour").value === "organisation";
    cy.batch(() => nodeEls.forEach((node, i) => {
      node.data("colour", byOrganisation
        ? ORGANISATION_COLOURS[orgOf[i] % ORGANISATION_COLOURS.length]
        : sectors[sectorOf[i]].colour);
    }));
    legend(byOrganisation
      ? data.organisations.map((name, i) => [
        ORGANISATION_COLOURS[i % ORGANISATION_COLOURS.length], name])
      : sectors.map((s) => [s.colour, s.label]));
  }

  function update() {
    const day = Number($("network-when").value);
    const kind = $("network-kind").value;
    const first = kind === "" ? firstAny : firstOf[kinds.indexOf(kind)];
    const sector = $("network-sector").value === "" ? -1 : Number($("network-sector").value);
    const organisation = $("network-organisation").value === ""
      ? -1 : Number($("network-organisation").value);
    const filtering = sector >= 0 || organisation >= 0;
    const match = new Uint8Array(count);
    for (let i = 0; i < count; i += 1) {
      match[i] = (sector < 0 || sectorOf[i] === sector)
        && (organisation < 0 || orgOf[i] === organisation) ? 1 : 0;
    }
    const near = new Uint8Array(count);
    const edgeNow = new Uint8Array(ends.length);
    degree.fill(0);
    let ties = 0;
    ends.forEach(([a, b], e) => {
      let visible = first[e] <= day && joined[a] <= day && joined[b] <= day;
      if (visible && filtering) visible = match[a] === 1 || match[b] === 1;
      if (!visible) return;
      edgeNow[e] = 1;
      near[a] = 1;
      near[b] = 1;
      degree[a] += 1;
      degree[b] += 1;
      ties += 1;
    });
    let shown = 0;
    cy.batch(() => {
      edgeNow.forEach((visible, e) => {
        if (visible !== edgeShown[e]) {
          edgeEls[e].toggleClass("hidden", !visible);
          edgeShown[e] = visible;
        }
      });
      for (let i = 0; i < count; i += 1) {
        const visible = joined[i] <= day && (!filtering || match[i] === 1 || near[i] === 1)
          ? 1 : 0;
        const faded = filtering && match[i] === 0 ? 1 : 0;
        const size = 8 + 4 * Math.sqrt(degree[i]);
        if (visible !== nodeShown[i]) {
          nodeEls[i].toggleClass("hidden", !visible);
          nodeShown[i] = visible;
        }
        if (faded !== nodeFaded[i]) {
          nodeEls[i].toggleClass("context", faded === 1);
          nodeFaded[i] = faded;
        }
        if (visible && Math.abs(size - nodeSize[i]) > 0.01) {
          nodeEls[i].data("size", size);
          nodeSize[i] = size;
        }
        shown += visible;
      }
    });
    $("network-status").textContent = `Showing ${plural(shown, "person", "people")} `
      + `and ${plural(ties, "tie", "ties")} made up to `
      + `${dayText(data.timeline.baseline, day)}.`;
  }

  cy.on("tap", "node", (event) => {
    const node = event.target;
    const i = index.get(Number(node.id().slice(1)));
    $("network-info").textContent = `${node.data("label")}, `
      + `${data.organisations[orgOf[i]]} (${sectors[sectorOf[i]].label}): `
      + `${plural(degree[i], "tie", "ties")} shown.`;
  });
  $("network-colour").addEventListener("change", colour);
  $("network-names").addEventListener("change", (event) => {
    cy.batch(() => cy.nodes().toggleClass("labelled", event.target.checked));
  });
  controls(cy, update);
  colour();
  update();
  cy.fit(cy.elements(":visible"), 30);
}

// --- Organisations or sectors (everyone else) ---------------------------------------------

function groups(data) {
  const sectors = data.sectors;
  const colourOf = (index) => (index >= 0 ? sectors[index].colour : data.mixedColour);
  let view = null;
  let bands = [];
  const cy = makeGraph([], false);
  cy.style(baseStyle([
    { selector: "node", style: {
      label: "data(label)", "font-size": 11, "text-wrap": "wrap", "text-max-width": 120,
      "text-valign": "bottom", "text-margin-y": 3, "min-zoomed-font-size": 6,
    } },
    { selector: "edge", style: { "curve-style": "straight", opacity: 0.5 } },
  ]));
  for (const [index, s] of sectors.entries()) option($("network-sector"), index, s.label);
  timeline(data);

  function draw() {
    view = data.views[$("network-by").value];
    bands = view.bands;
    const size = (people) => 16 + 3 * Math.sqrt(Math.max(people ?? data.threshold,
                                                         data.threshold));
    const scale = spread(view.nodes.length, 170, 360);
    cy.elements().remove();
    cy.add([
      ...view.nodes.map((n) => ({
        group: "nodes",
        data: { id: n.id, label: n.label, sector: n.sector, sectorLabel: n.sectorLabel,
                peopleText: n.peopleText, colour: colourOf(n.sector), size: size(n.people) },
        position: { x: n.x * scale, y: n.y * scale },
      })),
      ...view.edges.map((e, index) => ({
        group: "edges",
        data: { id: `l${index}`, source: e.source, target: e.target, index, width: 1,
                band: 0 },
      })),
    ]);
    // Sectors in their usual order, "Several sectors" (-1) last.
    legend([...new Set(view.nodes.map((n) => n.sector))].sort((a, b) => (a < 0) - (b < 0) || a - b)
      .map((i) => [colourOf(i), i >= 0 ? sectors[i].label : "Several sectors"]));
    update();
    cy.fit(cy.elements(), 30);
  }

  function update() {
    const day = Number($("network-when").value);
    const kind = $("network-kind").value || "all";
    const sector = $("network-sector").value;
    const filtering = sector !== "";
    const near = new Set();
    let shownLinks = 0;
    cy.batch(() => {
      cy.edges().forEach((edge) => {
        const steps = view.edges[edge.data("index")].steps[kind];
        const passed = steps.filter(([d]) => d <= day);
        let visible = passed.length > 0;
        const a = edge.source();
        const b = edge.target();
        if (visible && filtering) {
          visible = String(a.data("sector")) === sector || String(b.data("sector")) === sector;
          if (visible) { near.add(a.id()); near.add(b.id()); }
        }
        edge.toggleClass("hidden", !visible);
        if (visible) {
          const band = passed[passed.length - 1][1];
          edge.data({ band, width: 1 + 1.5 * band });
          shownLinks += 1;
        }
      });
      cy.nodes().forEach((node) => {
        const match = !filtering || String(node.data("sector")) === sector;
        node.toggleClass("hidden", filtering && !match && !near.has(node.id()));
        node.toggleClass("context", filtering && !match);
      });
    });
    const what = $("network-by").value === "sector" ? "sectors" : "organisations";
    $("network-status").textContent = `Showing ${plural(shownLinks, "pair", "pairs")} of `
      + `${what} with ties made up to ${dayText(data.timeline.baseline, day)}.`;
  }

  cy.on("tap", "node", (event) => {
    const node = event.target;
    const linked = node.connectedEdges(":visible").length;
    $("network-info").textContent = `${node.data("label")} (${node.data("sectorLabel")}): `
      + `${node.data("peopleText")}, with ties to ${plural(linked, "other circle",
        "other circles")} shown.`;
  });
  cy.on("tap", "edge", (event) => {
    const edge = event.target;
    const band = bands.find((b) => b.band === edge.data("band"));
    $("network-info").textContent = `${edge.source().data("label")} and `
      + `${edge.target().data("label")}: ${band ? band.label : "some ties"}.`;
  });
  $("network-by").addEventListener("change", draw);
  controls(cy, update);
  draw();
}

async function start() {
  const status = $("network-status");
  status.textContent = "Drawing the network…";
  try {
    const response = await fetch(root.dataset.url, {
      credentials: "same-origin", headers: { Accept: "application/json" },
    });
    if (!response.ok) throw new Error(`status ${response.status}`);
    const data = await response.json();
    if (data.mode === "people") people(data); else groups(data);
    root.classList.add("tl-network__canvas--drawn");
  } catch (error) {
    status.textContent = "The picture could not be drawn this time; the tables below give "
      + "the same information.";
    throw error;
  }
}

if (root && window.cytoscape) start();
