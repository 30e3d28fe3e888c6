/* A staff member's session on a shared desk computer. The access token lives minutes: while
   the page is open it is renewed with the session's refresh token before it runs out. After
   `idle_timeout` (from the sign-in answer) without a key, click or touch the page signs out by
   itself: the refresh token is revoked and the sign-in form comes back, saying why. */
"use strict";
const RENEW_BEFORE_MS = 60000;
const IDLE_SIGN_OUT = "Signed out: the page was not used for a while · 长时间未操作，已自动退出";
const SESSION_OVER = "Your session has ended: sign in again · 会话已结束，请重新登录";

function staffSession(key, { onToken, onEnd }) {
  const stored = `${key}-session`;
  let session = JSON.parse(sessionStorage.getItem(stored) || "null");
  let lastUse = Date.now();
  let renewing = false;
  const signOutButton = document.getElementById("sign-out");

  function keep(next) {
    session = next;
    if (next) sessionStorage.setItem(stored, JSON.stringify(next));
    else sessionStorage.removeItem(stored);
    if (signOutButton) signOutButton.hidden = !next;
    onToken(next ? next.access : null);
  }

  function end(why) {
    keep(null);
    onEnd(why);
  }

  async function signIn(username, password) {
    const data = await api("/api/v1/auth/login", { method: "POST", body: { username, password } });
    lastUse = Date.now();
    keep({ access: data.access_token, refresh: data.refresh_token,
      until: Date.now() + data.expires_in * 1000, idleMs: data.idle_timeout * 1000 });
    return data;
  }

  function signOut(why = "") {
    if (session) {
      fetch("/api/v1/auth/logout", { method: "POST", keepalive: true,
        headers: { Authorization: `Bearer ${session.refresh}` } }).catch(() => {});
    }
    end(why);
  }

  async function renew() {
    renewing = true;
    try {
      const data = await api("/api/v1/auth/refresh", { method: "POST", token: session.refresh });
      if (session) keep({ ...session, access: data.access_token, until: Date.now() + data.expires_in * 1000 });
    } catch (error) {
      if (error.status === 401) end(SESSION_OVER);
    } finally {
      renewing = false;
    }
  }

  ["pointerdown", "keydown", "touchstart", "wheel"].forEach((type) =>
    document.addEventListener(type, () => { lastUse = Date.now(); }, { capture: true, passive: true }));
  setInterval(() => {
    if (!session) return;
    if (Date.now() - lastUse >= session.idleMs) signOut(IDLE_SIGN_OUT);
    else if (!renewing && session.until - Date.now() < RENEW_BEFORE_MS) renew();
  }, 1000);
  if (signOutButton) signOutButton.onclick = () => signOut();

  keep(session);
  return { signIn, signOut };
}
