/**
 * The customer's chat page (/chat/): sign in over the API (a JWT pair, refreshed when it
 * expires), pick one of your reservations, and talk about it with the clinic's staff.
 */

import { mountConversation } from "./chat.js";

const $ = (id) => document.getElementById(id);
let pair = null;
let mounted = null;

async function postJson(url, body) {
  const response = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.detail || `HTTP ${response.status}`);
  return data;
}

function expiresSoon(jwt) {
  try {
    const payload = JSON.parse(atob(jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    return payload.exp * 1000 < Date.now() + 30_000;
  } catch (_) {
    return false;
  }
}

async function access() {
  if (expiresSoon(pair.access)) pair.access = (await postJson("/api/auth/token/refresh/", { refresh: pair.refresh })).access;
  return pair.access;
}

async function authorization() {
  return { Authorization: `Bearer ${await access()}` };
}

function open(reservationId) {
  mounted?.channel.destroy();
  $("conversation").hidden = false;
  mounted = mountConversation($("conversation"), { reservationId, me: pair.userId, headers: authorization, token: access });
  window.petlandChat = mounted;
}

$("sign-in").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("problem").hidden = true;
  try {
    pair = await postJson("/api/auth/token/", { username: $("username").value, password: $("password").value });
    const me = await (await fetch("/api/users/me/", { headers: await authorization() })).json();
    pair.userId = me.id;
    const reservations = (await (await fetch("/api/reservations/?page_size=100", { headers: await authorization() })).json()).results;
    $("reservation").replaceChildren(
      ...reservations.map((r) => {
        const option = document.createElement("option");
        option.value = String(r.id);
        option.textContent = `#${r.id} · ${r.checkin_date.slice(0, 10)} · ${r.status}`;
        return option;
      }),
    );
    $("sign-in").hidden = true;
    $("pick").hidden = false;
    if (reservations.length) open(reservations[0].id);
  } catch (error) {
    $("problem").textContent = `Sign-in failed: ${error.message}`;
    $("problem").hidden = false;
  }
});
$("reservation").addEventListener("change", () => open(Number($("reservation").value)));
