// Draws the report's charts: each container names a JSON data block holding a Vega-Lite
// spec (data, not code). Under our Content Security Policy vega must not compile
// expressions with `new Function`, so it runs in its CSP-safe mode (`ast: true` plus the
// vega-interpreter evaluator), draws SVG, and injects no styles, tooltips or menus.
import { expressionInterpreter } from "../vega-interpreter/vega-interpreter.js";

const options = {
  renderer: "svg",
  actions: false,
  tooltip: false,
  defaultStyle: false,
  ast: true,
  expr: expressionInterpreter,
};

async function draw(container) {
  const source = document.getElementById(container.dataset.chart);
  if (!source) return;
  const spec = JSON.parse(source.textContent);
  try {
    await window.vegaEmbed(container, spec, options);
    container.classList.add("tl-chart__canvas--drawn");
    const svg = container.querySelector("svg");
    if (svg) {
      // The figure's caption names the chart; the table below it holds the figures.
      svg.setAttribute("aria-hidden", "true");
      svg.setAttribute("focusable", "false");
    }
  } catch (error) {
    container.textContent = "The chart could not be drawn; its figures are in the table below.";
    console.error(error);
  }
}

for (const container of document.querySelectorAll("[data-chart]")) {
  draw(container);
}
