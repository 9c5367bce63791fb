/** The admin's reservation page: its conversation, as the signed-in member of staff (session). */

import { csrfHeaders, mountConversation } from "./chat.js";

for (const root of document.querySelectorAll("[data-chat]")) {
  const reservationId = Number(root.dataset.reservationId);
  window.petlandChat = mountConversation(root, { reservationId, me: root.dataset.me, headers: csrfHeaders });
}
