/**
 * The demo page served at `/` with --demo: one self-contained HTML document (CSS and plain JS
 * inline, no framework, no build step), kept as a string so it ships inside the compiled package
 * and is found the same way from src/ and dist/. It loads the socket.io client the server serves
 * at `/socket.io/socket.io.min.js` and keeps the presence view with a minimal Phoenix-style sync
 * (state, then diffs keyed by phx_ref).
 *
 * A friend's state shows as a coloured dot and a label: online (green), away (amber), busy (red),
 * offline (grey) with their last seen when the server sent it (`presence_last_seen`, PROTOCOL.md
 * "Last seen"), as "last seen 3 min ago".
 *
 * `?user=<id>&device=<name>` in the page URL connects at once (handy to open two users side by
 * side). The page's view is also readable as `window.presenceDemo` (tests, curious developers).
 */

const STYLE = `
:root { color-scheme: light dark; --bg:#f5f6f8; --card:#fff; --ink:#1d2330; --muted:#6b7385;
  --line:#e3e6ec; --accent:#3b6ef5; --on:#22b35e; --away:#e5a00d; --busy:#dc3b3b; --off:#b8bdc8;
  --hidden:#a58bf0; }
@media (prefers-color-scheme: dark) { :root { --bg:#14171d; --card:#1d2129; --ink:#e8ebf2;
  --muted:#9aa3b5; --line:#2c323d; --off:#4c5361; } }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background:var(--bg); color:var(--ink); }
header { display:flex; align-items:center; gap:12px; padding:14px 24px; border-bottom:1px solid var(--line); background:var(--card); }
header h1 { font-size:17px; margin:0; font-weight:650; }
header .tag { font-size:12px; color:var(--muted); }
#conn { margin-left:auto; font-size:13px; color:var(--muted); display:flex; align-items:center; gap:6px; }
main { max-width:880px; margin:24px auto; padding:0 16px; display:grid; grid-template-columns: 300px 1fr; gap:20px; }
@media (max-width: 760px) { main { grid-template-columns: 1fr; } }
section { background:var(--card); border:1px solid var(--line); border-radius:12px; padding:16px 18px; }
section h2 { font-size:13px; text-transform:uppercase; letter-spacing:.06em; color:var(--muted); margin:0 0 12px; font-weight:600; }
label { display:block; font-size:13px; color:var(--muted); margin:10px 0 4px; }
select, input[type=text] { width:100%; padding:8px 10px; border:1px solid var(--line); border-radius:8px; background:var(--bg); color:var(--ink); font:inherit; }
button { font:inherit; padding:7px 14px; border-radius:8px; border:1px solid var(--line); background:var(--bg); color:var(--ink); cursor:pointer; }
button.primary { background:var(--accent); border-color:var(--accent); color:#fff; }
button:disabled { opacity:.5; cursor:default; }
.row { display:flex; gap:8px; align-items:center; margin-top:12px; flex-wrap:wrap; }
.chips button { padding:4px 10px; font-size:13px; }
.dot { width:10px; height:10px; border-radius:50%; background:var(--off); flex:none; display:inline-block; }
.dot.on { background:var(--on); box-shadow:0 0 0 3px color-mix(in srgb, var(--on) 25%, transparent); }
.dot.hidden { background:var(--hidden); }
.dot.away { background:var(--away); box-shadow:0 0 0 3px color-mix(in srgb, var(--away) 25%, transparent); }
.dot.busy { background:var(--busy); box-shadow:0 0 0 3px color-mix(in srgb, var(--busy) 25%, transparent); }
.badge { font-size:11px; font-weight:600; text-transform:uppercase; letter-spacing:.04em; padding:1px 7px; border-radius:999px; margin-left:8px; vertical-align:1px; color:#fff; background:var(--off); }
.badge.online { background:var(--on); }
.badge.away { background:var(--away); }
.badge.busy { background:var(--busy); }
.badge.offline { background:transparent; color:var(--muted); border:1px solid var(--line); }
.last-seen { font-size:13px; color:var(--muted); font-style:italic; }
ul { list-style:none; margin:0; padding:0; }
li.person { display:flex; gap:12px; align-items:flex-start; padding:10px 0; border-top:1px solid var(--line); }
li.person:first-child { border-top:0; }
li.person .dot { margin-top:6px; }
.name { font-weight:600; }
.sub { font-size:13px; color:var(--muted); }
.devices { display:flex; gap:6px; flex-wrap:wrap; margin-top:4px; }
.device { font-size:12px; padding:1px 8px; border-radius:999px; border:1px solid var(--line); color:var(--muted); }
.device b { color:var(--ink); font-weight:550; }
.empty { color:var(--muted); font-size:14px; }
#log { font:12px/1.5 ui-monospace, monospace; color:var(--muted); max-height:160px; overflow:auto; margin-top:8px; }
.error { color:#d64545; font-size:13px; min-height:1em; margin-top:8px; }
.me-name { font-size:20px; font-weight:650; display:flex; align-items:center; gap:8px; }
.switch { display:flex; align-items:center; gap:8px; margin-top:14px; font-size:14px; color:var(--ink); }
.hide { display:none !important; }
`;

const SCRIPT = `
(function () {
  'use strict';
  var $ = function (id) { return document.getElementById(id); };
  var view = { me: null, device: null, connected: false, state: new Map(), friends: [], pending: null, seen: new Set(), lastSeen: new Map() };
  window.presenceDemo = view;
  var socket = null;

  function log(text) {
    var line = document.createElement('div');
    line.textContent = new Date().toLocaleTimeString() + '  ' + text;
    $('log').prepend(line);
    while ($('log').childNodes.length > 40) $('log').lastChild.remove();
  }
  function setConn(text, on) {
    $('conn-text').textContent = text;
    $('conn-dot').className = 'dot' + (on ? ' on' : '');
  }
  function error(text) { $('error').textContent = text || ''; }
  function getJson(path) {
    return fetch(path).then(function (res) {
      return res.json().then(function (body) {
        if (!res.ok) throw new Error((body.error && body.error.message) || res.statusText);
        return body;
      });
    });
  }

  // Phoenix Presence sync: joins replace metas with the same phx_ref, leaves remove them.
  function syncState(raw) {
    var next = new Map();
    Object.keys(raw || {}).forEach(function (user) {
      var metas = (raw[user] && raw[user].metas) || [];
      if (metas.length) next.set(user, metas.slice());
      view.seen.add(user);
    });
    view.state = next;
  }
  function syncDiff(diff) {
    var joins = diff.joins || {}, leaves = diff.leaves || {};
    Object.keys(joins).concat(Object.keys(leaves)).forEach(function (user) { view.seen.add(user); });
    Object.keys(joins).forEach(function (user) {
      view.lastSeen.delete(user);
      var incoming = joins[user].metas || [];
      var refs = new Set(incoming.map(function (m) { return m.phx_ref; }));
      var kept = (view.state.get(user) || []).filter(function (m) { return !refs.has(m.phx_ref); });
      view.state.set(user, kept.concat(incoming));
    });
    Object.keys(leaves).forEach(function (user) {
      var refs = new Set((leaves[user].metas || []).map(function (m) { return m.phx_ref; }));
      var left = (view.state.get(user) || []).filter(function (m) { return !refs.has(m.phx_ref); });
      if (left.length) view.state.set(user, left); else view.state.delete(user);
    });
  }

  // One state per person from all their devices: busy on any device is a deliberate "do not
  // disturb"; else online when any device is not away (a custom status counts as online).
  function stateOf(metas) {
    if (!metas.length) return 'offline';
    var statuses = metas.map(function (m) { return m.status; });
    if (statuses.indexOf('busy') >= 0) return 'busy';
    return statuses.every(function (s) { return s === 'away'; }) ? 'away' : 'online';
  }
  var STATE_LABEL = { online: 'Online', away: 'Away', busy: 'Busy', offline: 'Offline' };

  function ago(ms) {
    var s = Math.max(0, Math.round((Date.now() - ms) / 1000));
    if (s < 45) return 'just now';
    var m = Math.round(s / 60);
    if (m < 60) return m + ' min ago';
    var h = Math.round(m / 60);
    if (h < 24) return h + ' h ago';
    return new Date(ms).toLocaleDateString();
  }

  function personItem(user, metas, isFriend) {
    var li = document.createElement('li');
    li.className = 'person';
    li.dataset.user = user;
    var online = metas.length > 0;
    var state = stateOf(metas);
    li.dataset.online = String(online);
    li.dataset.state = state;
    var dot = document.createElement('span');
    dot.className = 'dot' + (state === 'online' ? ' on' : state === 'offline' ? '' : ' ' + state);
    var body = document.createElement('div');
    var name = document.createElement('div');
    name.className = 'name';
    name.textContent = user + (isFriend ? '' : ' (not in your list)');
    var badge = document.createElement('span');
    badge.className = 'badge ' + state;
    badge.textContent = STATE_LABEL[state];
    name.append(badge);
    var sub = document.createElement('div');
    sub.className = 'sub status';
    var statuses = Array.from(new Set(metas.map(function (m) { return m.status; })));
    sub.textContent = statuses.join(', ');
    // Offline, the badge says it all; the last seen follows.
    body.append(name);
    if (online) body.append(sub);
    var lastSeen = view.lastSeen.get(user);
    if (!online && typeof lastSeen === 'number') {
      var seenLine = document.createElement('div');
      seenLine.className = 'last-seen';
      seenLine.dataset.lastSeen = String(lastSeen);
      seenLine.title = new Date(lastSeen).toLocaleString();
      seenLine.textContent = 'last seen ' + ago(lastSeen) + ' (' + new Date(lastSeen).toLocaleTimeString() + ')';
      body.append(seenLine);
    }
    if (online) {
      var devices = document.createElement('div');
      devices.className = 'devices';
      metas.forEach(function (m) {
        var chip = document.createElement('span');
        chip.className = 'device';
        var b = document.createElement('b');
        b.textContent = m.device || 'device';
        chip.append(b, ' · ' + m.status + ' · since ' + new Date(m.online_at).toLocaleTimeString());
        devices.append(chip);
      });
      body.append(devices);
    }
    li.append(dot, body);
    return li;
  }

  function render() {
    var list = $('friends');
    list.replaceChildren();
    if (!view.me) return;
    var others = view.friends.slice();
    view.state.forEach(function (_m, user) {
      if (user !== view.me && others.indexOf(user) < 0) others.push(user);
    });
    others.sort(function (a, b) {
      var on = (view.state.has(b) ? 1 : 0) - (view.state.has(a) ? 1 : 0);
      return on || a.localeCompare(b);
    });
    others.forEach(function (user) {
      list.append(personItem(user, view.state.get(user) || [], view.friends.indexOf(user) >= 0));
    });
    $('friends-empty').classList.toggle('hide', others.length > 0);
    var online = others.filter(function (u) { return view.state.has(u); }).length;
    $('friends-count').textContent = online + ' of ' + others.length + ' online';
    var mine = view.state.get(view.me) || [];
    var devices = $('my-devices');
    devices.replaceChildren();
    mine.forEach(function (m) {
      var chip = document.createElement('span');
      chip.className = 'device';
      var b = document.createElement('b');
      b.textContent = m.device || 'device';
      chip.append(b, ' · ' + m.status + (m.invisible ? ' · invisible' : ''));
      devices.append(chip);
    });
    var invisible = mine.some(function (m) { return m.invisible; });
    $('me-dot').className = 'dot ' + (view.connected ? (invisible ? 'hidden' : 'on') : '');
  }

  function update(patch) {
    if (!socket) return;
    error('');
    socket.timeout(5000).emit('presence:update', patch, function (err, ack) {
      if (err) return error('no answer from the server');
      if (!ack.ok) return error(ack.error.code + ': ' + ack.error.message);
      log('updated ' + JSON.stringify(patch));
    });
  }

  function connect(user, device) {
    error('');
    view.me = user; view.device = device;
    Promise.all([getJson('/demo/token?user=' + encodeURIComponent(user)),
                 getJson('/demo/friends?user=' + encodeURIComponent(user))])
      .then(function (answers) {
        view.friends = answers[1].friends.slice();
        $('login').classList.add('hide');
        $('me').classList.remove('hide');
        $('me-name-text').textContent = user;
        $('me-device').textContent = device;
        render();
        socket = io(location.origin + '/presence', {
          auth: { token: answers[0].token, device: device, status: 'online' },
          transports: ['websocket'],
        });
        socket.on('connect', function () { view.connected = true; setConn('connected as ' + user, true); log('connected'); render(); });
        socket.on('disconnect', function (reason) { view.connected = false; view.pending = []; setConn('disconnected (' + reason + ')', false); log('disconnected: ' + reason); render(); });
        socket.on('connect_error', function (e) { setConn('cannot connect', false); error('connect_error: ' + e.message); });
        socket.on('presence_state', function (state) {
          syncState(state);
          var pending = view.pending || [];
          view.pending = null;
          pending.forEach(syncDiff);
          log('state: ' + view.state.size + ' online');
          render();
        });
        socket.on('presence_diff', function (diff) {
          if (view.pending) { view.pending.push(diff); return; }
          syncDiff(diff);
          var j = Object.keys(diff.joins || {}), l = Object.keys(diff.leaves || {});
          var both = j.filter(function (u) { return l.indexOf(u) >= 0; });
          var only = function (us) { return us.filter(function (u) { return both.indexOf(u) < 0; }); };
          var parts = [];
          if (only(j).length) parts.push('joined: ' + only(j).join(', '));
          if (both.length) parts.push('updated: ' + both.join(', '));
          if (only(l).length) parts.push('left: ' + only(l).join(', '));
          log(parts.join('; '));
          render();
        });
        socket.on('presence_error', function (e) { error((e && e.code) + ': ' + (e && e.message)); });
        // Friends' last seen (ms since the epoch, or null: hidden or unknown); untrusted input.
        socket.on('presence_last_seen', function (map) {
          if (!map || typeof map !== 'object') return;
          Object.keys(map).forEach(function (user) {
            var value = map[user];
            if (typeof value === 'number' && isFinite(value)) view.lastSeen.set(user, value);
            else if (value === null) view.lastSeen.delete(user);
          });
          render();
        });
      })
      .catch(function (e) { error(e.message); view.me = null; });
  }

  function disconnect() {
    if (socket) socket.disconnect();
    socket = null;
    view.me = null; view.connected = false; view.state = new Map(); view.friends = []; view.seen = new Set(); view.lastSeen = new Map();
    $('login').classList.remove('hide');
    $('me').classList.add('hide');
    setConn('not connected', false);
    render();
  }

  $('connect').addEventListener('click', function () {
    var user = $('user').value.trim();
    if (!user) return error('pick a user');
    connect(user, $('device').value.trim() || 'browser');
  });
  $('set-status').addEventListener('click', function () {
    var status = $('status').value.trim();
    if (status) update({ status: status });
  });
  $('status').addEventListener('keydown', function (e) { if (e.key === 'Enter') $('set-status').click(); });
  document.querySelectorAll('[data-status]').forEach(function (b) {
    b.addEventListener('click', function () { $('status').value = b.dataset.status; update({ status: b.dataset.status }); });
  });
  $('invisible').addEventListener('change', function () { update({ invisible: $('invisible').checked }); });
  $('leave').addEventListener('click', disconnect);
  // "last seen 3 min ago" ages while the page is open.
  setInterval(function () { if (view.me) render(); }, 30000);

  var params = new URLSearchParams(location.search);
  var guess = /Mobi/.test(navigator.userAgent) ? 'phone' : 'browser';
  $('device').value = params.get('device') || guess;
  getJson('/demo/users').then(function (body) {
    body.users.forEach(function (u) {
      var o = document.createElement('option'); o.value = u; $('user-list').append(o);
    });
    if (!params.get('user') && body.users.length) $('user').value = body.users[0];
  }).catch(function (e) { error('cannot load demo users: ' + e.message); });
  if (params.get('user')) { $('user').value = params.get('user'); connect(params.get('user'), $('device').value); }
})();
`;

export const DEMO_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>graph-presence demo</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>graph-presence</h1><span class="tag">demo: never in production</span>
  <span id="conn"><span id="conn-dot" class="dot"></span><span id="conn-text">not connected</span></span>
</header>
<main>
  <div>
    <section id="login">
      <h2>Who are you?</h2>
      <label for="user">Demo user</label>
      <input id="user" type="text" list="user-list" maxlength="256" placeholder="pick or type a user id" data-testid="user-picker" autocomplete="off">
      <datalist id="user-list"></datalist>
      <label for="device">Device name</label>
      <input id="device" type="text" maxlength="64">
      <div class="row"><button id="connect" class="primary" data-testid="connect">Connect</button></div>
    </section>
    <section id="me" class="hide">
      <h2>You</h2>
      <div class="me-name"><span id="me-dot" class="dot"></span><span id="me-name-text"></span></div>
      <div class="sub">this device: <span id="me-device"></span></div>
      <label for="status">Status</label>
      <div class="row" style="margin-top:0"><input id="status" type="text" maxlength="64" placeholder="online" data-testid="status-input" style="flex:1"><button id="set-status" class="primary" data-testid="set-status">Set</button></div>
      <div class="row chips"><button data-status="online">online</button><button data-status="away">away</button><button data-status="busy">busy</button></div>
      <label class="switch"><input id="invisible" type="checkbox" data-testid="invisible"> Invisible (friends see you offline)</label>
      <label>Your connected devices</label>
      <div id="my-devices" class="devices"></div>
      <div class="row"><button id="leave">Disconnect</button></div>
    </section>
    <div id="error" class="error" role="alert"></div>
  </div>
  <div>
    <section>
      <h2>Friends <span id="friends-count" style="float:right;text-transform:none;letter-spacing:0"></span></h2>
      <ul id="friends" data-testid="friends"></ul>
      <div id="friends-empty" class="empty">Connect as a demo user to see their friends.</div>
    </section>
    <section style="margin-top:20px">
      <h2>Events</h2>
      <div id="log"></div>
    </section>
  </div>
</main>
<script src="/socket.io/socket.io.min.js"></script>
<script>${SCRIPT}</script>
</body>
</html>
`;
