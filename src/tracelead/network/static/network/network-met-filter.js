// "Who did you meet today?": filter the names as the member types (the search button does
// the same without JavaScript, by reloading the page). Hidden boxes keep their ticks.
const input = document.getElementById("met-q");
const list = document.getElementById("people-list");
const none = document.getElementById("people-none");
if (input && list) {
  input.addEventListener("input", () => {
    const words = input.value.trim().toLowerCase();
    let shown = 0;
    for (const item of list.querySelectorAll("[data-name]")) {
      const match = !words || item.dataset.name.includes(words);
      // The design system lays the items out with display: flex, which beats [hidden].
      item.style.display = match ? "" : "none";
      if (match) shown += 1;
    }
    if (none) none.hidden = shown > 0;
  });
}
