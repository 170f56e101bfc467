// The door list: filter the names as the facilitator types (the search button does the
// same without JavaScript, by reloading the page).
const input = document.getElementById("door-q");
const list = document.getElementById("door-list");
const none = document.getElementById("door-none");
if (input && list) {
  input.addEventListener("input", () => {
    const words = input.value.trim().toLowerCase();
    let shown = 0;
    for (const row of list.querySelectorAll("li[data-name]")) {
      const match = !words || row.dataset.name.includes(words);
      row.hidden = !match;
      if (match) shown += 1;
    }
    if (none) none.hidden = shown > 0;
  });
}
