// A participant's phone: ask every two seconds whether the poll moved on (the server
// answers 304 while it has not) and show the new question. If the person has started
// typing or choosing, the page is not reloaded under them: a notice offers the new
// question instead.
const root = document.getElementById("tl-poll-phone");
if (root) {
  const url = root.dataset.stateUrl;
  const every = Number(root.dataset.every) || 2000;
  let etag = root.dataset.etag;
  let touched = false;
  root.addEventListener("input", () => { touched = true; });
  root.addEventListener("change", () => { touched = true; });
  // A choice made before this script ran (a quick tap, a form the browser restored) fires
  // no event that we heard, so the fields themselves are compared with the page as sent.
  const differs = (field) => {
    if (field.type === "hidden" || field.disabled) return false;
    if (field.type === "radio" || field.type === "checkbox") return field.checked !== field.defaultChecked;
    if (field.tagName === "SELECT") {
      const initial = Math.max(0, [...field.options].findIndex((option) => option.defaultSelected));
      return field.selectedIndex !== initial;
    }
    return field.value !== field.defaultValue;
  };
  const busy = () => touched || [...root.querySelectorAll("input, textarea, select")].some(differs);
  const look = async () => {
    try {
      const response = await fetch(url, { headers: { "If-None-Match": etag }, cache: "no-store" });
      if (response.status === 200) {
        const next = response.headers.get("ETag");
        if (next && next !== etag) {
          etag = next;
          if (busy()) {
            document.getElementById("tl-poll-moved").hidden = false;
          } else {
            window.location.replace(window.location.pathname);
            return;
          }
        }
      }
    } catch (error) {
      // A dropped connection in a busy room: try again at the next tick.
    }
    window.setTimeout(look, every);
  };
  window.setTimeout(look, every);
}
