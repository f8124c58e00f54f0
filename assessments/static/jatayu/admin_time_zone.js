/* The admin shows times in the recruiter's own time zone: the zone this browser reports goes into the
 * cookie `jatayu_tz`, which assessments.admin.time_zone activates for each admin request. A page rendered
 * in another zone (the first one after the browser's zone changed) is reloaded once, in the right one. */
(() => {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone) return;
  const stored = document.cookie.split("; ").find((c) => c.startsWith("jatayu_tz="));
  if (!stored || decodeURIComponent(stored.slice("jatayu_tz=".length)) !== zone) {
    document.cookie = `jatayu_tz=${encodeURIComponent(zone)}; path=/admin/; max-age=31536000; SameSite=Lax`;
  }
  const rendered = document.querySelector('meta[name="jatayu-time-zone"]');
  const reloaded = `jatayu.tzReloaded.${zone}`;
  if (rendered && rendered.content !== zone && !location.pathname.startsWith("/admin/login/") && !sessionStorage.getItem(reloaded)) {
    sessionStorage.setItem(reloaded, "1"); // once: a zone the server does not know must not loop
    location.reload();
  }
})();
