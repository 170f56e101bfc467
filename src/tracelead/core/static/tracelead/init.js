// Starts the NHS design system's components (error summary focus, character counts...).
import { initAll } from "../nhsuk/nhsuk-frontend-10.6.1.min.js";

// Count a comment as the server counts it (diagnostics/questionnaire.py): Unicode code
// points of the text with CRLF as one line break and the ends trimmed. The design
// system's default counts grapheme clusters, so a flag emoji (two code points) or a family
// emoji (several) would read as one character here and more than one on the server.
function serverLength(text) {
  return Array.from(text.replace(/\r\n?/g, "\n").trim()).length;
}

initAll({ characterCount: { countFunction: serverLength } });
