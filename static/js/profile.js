// The profile page. Its skills field: suggest taxonomy skills for the last comma-separated entry.
// Without this script the field still takes skill names typed by hand.
(() => {
  "use strict";
  // After a refused save, take keyboard and screen reader users to the summary of errors.
  const errors = document.getElementById("profile-errors");
  if (errors) errors.focus();
  const form = document.querySelector("form[data-skills-url]");
  const input = form && form.querySelector("[data-skills-input]");
  if (!input || !window.fetch) return;
  const url = form.dataset.skillsUrl;
  const list = document.createElement("datalist");
  list.id = `${input.id}-options`;
  input.after(list);
  input.setAttribute("list", list.id);
  let timer = 0;
  let asked = "";
  input.addEventListener("input", () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(async () => {
      const value = input.value;
      const cut = Math.max(value.lastIndexOf(","), value.lastIndexOf(";"));
      const head = cut >= 0 ? `${value.slice(0, cut + 1).trimEnd()} ` : "";
      const term = value.slice(cut + 1).trim();
      if (!term || term === asked) return;
      asked = term;
      try {
        const response = await fetch(`${url}?q=${encodeURIComponent(term)}`, {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        if (!response.ok) return;
        const { skills } = await response.json();
        list.replaceChildren(
          ...skills.map((skill) => {
            const option = document.createElement("option");
            option.value = `${head}${skill.name}`;
            return option;
          }),
        );
      } catch {
        // Offline or refused: typing by hand still works.
      }
    }, 150);
  });
})();
