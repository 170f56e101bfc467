// Copy buttons: a <button class="tl-copy" data-copy-target="ID"> copies the text of the
// element with that id, or of the part of it that data-copy-part selects (for a table,
// each row's cells but the buttons' joined by tabs, one row a line)
// and says so in the live region named by data-copy-status. The buttons are hidden in the
// HTML and shown here, so that without JavaScript no button is left that does nothing.
// Loaded as a file (no inline script), so it passes the Content Security Policy.

function textOf(element) {
  if (element.tagName === "TABLE") {
    return Array.from(element.querySelectorAll("tbody tr"))
      .map((row) => Array.from(row.cells)
        .filter((cell) => !cell.querySelector("button"))
        .map((cell) => cell.textContent.trim()).join("\t"))
      .join("\n");
  }
  return element.textContent.trim();
}

async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  // Plain HTTP (a server on a local network): the older way, through a hidden text box.
  const box = document.createElement("textarea");
  box.value = text;
  box.setAttribute("readonly", "");
  box.className = "tl-copy-box";
  document.body.appendChild(box);
  box.select();
  const copied = document.execCommand("copy");
  box.remove();
  if (!copied) throw new Error("copy refused");
}

for (const button of document.querySelectorAll("button.tl-copy[data-copy-target]")) {
  const whole = document.getElementById(button.dataset.copyTarget);
  const target = whole && button.dataset.copyPart
    ? whole.querySelector(button.dataset.copyPart) : whole;
  const status = document.getElementById(button.dataset.copyStatus || "");
  if (!target) continue;
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await copyText(textOf(target));
      if (status) status.textContent = button.dataset.copyDone || "Copied.";
    } catch {
      if (status) status.textContent = "Your browser did not allow copying. Select the text and copy it yourself.";
    }
  });
}
