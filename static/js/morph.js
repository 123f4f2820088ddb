// Brings a part of the page up to date with fresh HTML from the server by changing only what differs, so
// that keyboard focus, an open <details>, text being typed and a screen reader's place stay where they
// were. Elements with an id or data-participant are matched by that key (rows, people), the others by
// their place among their siblings.
//
//   window.morphInto(root, html);   // root keeps its own attributes; its content becomes html
(function () {
  // Attributes the page itself owns: the server never sends them, and a refresh must not take them away.
  const KEPT = { DETAILS: ["open"] };

  function keyOf(node) {
    if (node.nodeType !== Node.ELEMENT_NODE) return null;
    if (node.id) return `#${node.id}`;
    if (node.dataset.participant) return `p${node.dataset.participant}`;
    return null;
  }

  function sameKind(a, b) {
    return a.nodeType === b.nodeType && a.nodeName === b.nodeName;
  }

  function morphAttributes(from, to) {
    const kept = KEPT[from.nodeName] || [];
    for (const { name } of [...from.attributes]) {
      if (!to.hasAttribute(name) && !kept.includes(name)) from.removeAttribute(name);
    }
    for (const { name, value } of [...to.attributes]) {
      if (from.getAttribute(name) !== value) from.setAttribute(name, value);
    }
  }

  function morphNode(from, to) {
    if (from.nodeType === Node.TEXT_NODE || from.nodeType === Node.COMMENT_NODE) {
      if (from.nodeValue !== to.nodeValue) from.nodeValue = to.nodeValue;
      return;
    }
    morphAttributes(from, to);
    morphChildren(from, to);
  }

  function morphChildren(from, to) {
    const wanted = [...to.childNodes];
    const wantedKeys = new Set(wanted.map(keyOf).filter(Boolean));
    // Keyed elements that are gone go first, so that those that stay need not move (a move loses focus).
    const byKey = new Map();
    for (const child of [...from.childNodes]) {
      const key = keyOf(child);
      if (!key) continue;
      if (wantedKeys.has(key) && !byKey.has(key)) byKey.set(key, child);
      else child.remove();
    }
    let cursor = from.firstChild;
    for (const next of wanted) {
      const key = keyOf(next);
      let match = null;
      if (key) {
        match = byKey.get(key) || null;
        if (match && !sameKind(match, next)) {
          match.remove();
          match = null;
        }
        byKey.delete(key);
      } else if (cursor && !keyOf(cursor) && sameKind(cursor, next)) {
        match = cursor;
      }
      if (!match) {
        from.insertBefore(next, cursor);
        continue;
      }
      if (match === cursor) cursor = cursor.nextSibling;
      else from.insertBefore(match, cursor);
      morphNode(match, next);
    }
    while (cursor) {
      const after = cursor.nextSibling;
      cursor.remove();
      cursor = after;
    }
  }

  window.morphInto = function (root, html) {
    const fresh = document.createElement("template");
    fresh.innerHTML = html;
    morphChildren(root, fresh.content);
  };
})();
