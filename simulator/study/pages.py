"""The study page: one HTML document with its CSS and JavaScript inline (no network, no CDN, no
external file); everything it shows comes from the local server (:mod:`.server`).

The page is a small state machine driven by ``GET /api/state`` (the server keeps each
participant's progress, so closing the browser and opening the page again resumes where they
were): participant id -> set-up and consent -> headphone screening (volume setting, then the
test's trials) -> practice trials (with feedback: where the sound was) -> main trials (fixation
cross, then the image with its stereo clip looping until the click or the time limit) with breaks
-> the end. Each trial's click is sent as continuous image pixel coordinates (u right, v down,
the image covering [0, W] x [0, H]; docs/conventions.md) computed from the click's position on
the shown image, with the response time in milliseconds from the moment the sound started.

``document.body.dataset.screen`` names the screen on show (``participant``, ``setup``,
``calibration``, ``screening``, ``intro``, ``resume``, ``fixation``, ``stimulus``, ``feedback``,
``sending`` (a response on its way), ``break``, ``done``, ``excluded``) so that scripts and tests can follow the page.
"""
from __future__ import annotations

import json
from html import escape
from typing import Any

CSS = """
*{box-sizing:border-box}
body{font-family:sans-serif;margin:0;color:#222;background:#808080}
main{max-width:60em;margin:0 auto;padding:1.5em;background:#f4f4f4;min-height:100vh}
main.dark{background:#808080;max-width:none;color:#fff}
h1{font-size:1.4em;margin-top:0}
button{font-size:1.05em;padding:.45em 1.2em;margin:.3em .5em .3em 0;cursor:pointer}
button:disabled{cursor:default;opacity:.45}
.panel{display:none}
.panel.on{display:block}
label{display:block;margin:.6em 0}
input[type=number],input[type=text]{font-size:1em;padding:.2em;width:9em}
.ruler{height:14px;background:#225;margin:.4em 0}
.stage{position:relative;margin:0 auto;line-height:0;background:#808080;cursor:crosshair}
.stage img{display:block;width:100%;height:100%;user-select:none;-webkit-user-drag:none}
.fix{position:absolute;left:50%;top:50%;transform:translate(-50%,-50%);font-size:48px;color:#fff;line-height:1}
.mark{position:absolute;width:18px;height:18px;margin:-9px 0 0 -9px;border-radius:50%;pointer-events:none}
.mark.click{border:3px solid #0f0}
.mark.target{border:3px solid #f00}
.progress{color:#eee;text-align:center;font-size:.9em;margin:.4em 0}
.note{color:#555;font-size:.9em}
.error{color:#b00}
"""

BODY = """
<main id="main">
<div class="panel" id="p-participant"><h1>Sound localization study</h1>
 <label>Participant id <input type="text" id="participant-id" maxlength="64" autocomplete="off"></label>
 <button id="participant-go">Continue</button><p class="error" id="participant-error"></p></div>

<div class="panel" id="p-setup"><h1>Before you start</h1>
 <h2>Consent</h2>
 <p>In this study you will see pictures and hear short sounds over headphones. For each picture,
 click on the place in the picture where you hear the sound coming from. The study takes about
 <span id="minutes"></span> minutes and includes breaks. Your clicks, response times and the
 results of a short headphone check are stored on this computer under your participant id only.
 You may stop at any time by closing the window; opening the page again continues where you left off.</p>
 <label><input type="checkbox" id="consent"> I have read the above and agree to take part.</label>
 <h2>Screen set-up</h2>
 <p class="note">The pictures are shown at a fixed physical size, viewed from a fixed distance. Measure the bar
 below with a ruler: it must be 4 inches (10.16 cm) long. If it is not, change the pixels per inch until it is.</p>
 <div class="ruler" id="ruler"></div>
 <label>Screen pixels per inch <input type="number" id="screen-ppi" step="0.1" min="20" max="1000"></label>
 <label>Viewing distance, eyes to screen (metres; empty: the dataset's own, <span id="default-distance"></span> m)
  <input type="number" id="viewing-distance" step="0.01" min="0.1" max="10"></label>
 <p class="note" id="setup-fixed"></p>
 <button id="setup-go" disabled>Start</button><p class="error" id="setup-error"></p></div>

<div class="panel" id="p-calibration"><h1>Headphone check: volume</h1>
 <p>Put on your headphones. Press <b>Play noise</b> and set the volume of your computer to a comfortable
 level. Keep this volume for the rest of the study.</p>
 <button id="calibration-play">Play noise</button> <button id="calibration-go">The volume is set</button></div>

<div class="panel" id="p-screening"><h1>Headphone check</h1>
 <p>You will hear three tones. Which one was the <b>quietest</b>? You can play each sound only once.</p>
 <p class="note">Check <span id="screening-k"></span> of <span id="screening-of"></span></p>
 <button id="screening-play">Play</button>
 <div><button class="answer" id="answer-1" disabled>First</button><button class="answer" id="answer-2" disabled>Second</button>
 <button class="answer" id="answer-3" disabled>Third</button></div></div>

<div class="panel" id="p-intro"><h1 id="intro-title"></h1><p id="intro-text"></p>
 <button id="intro-go">Start</button></div>

<div class="panel" id="p-resume"><h1>Welcome back</h1><p id="resume-text"></p>
 <button id="resume-go">Continue</button></div>

<div class="panel" id="p-break"><h1>Break</h1><p id="break-text"></p>
 <button id="break-go">Continue</button></div>

<div class="panel" id="p-task">
 <div class="progress" id="progress"></div>
 <div class="stage" id="stage"><img id="stimulus" alt="" draggable="false"><div class="fix" id="fixation">+</div></div>
 <div class="progress" id="task-note"></div>
 <audio id="clip" loop preload="auto"></audio></div>

<div class="panel" id="p-done"><h1>Thank you</h1><p>You have finished the study. You may close this window.</p></div>
<div class="panel" id="p-excluded"><h1>Thank you</h1><p>The headphone check was not passed, so the study ends
 here. You may close this window.</p></div>
<p class="error" id="error"></p>
</main>
"""

JS = r"""
(function(){
'use strict';
var CFG = JSON.parse(document.getElementById('config').textContent);
var $ = function(id){ return document.getElementById(id); };
var pid = new URLSearchParams(location.search).get('participant') || CFG.participant || '';
var state = null, trialTimer = null, t0 = null, answered = false, current = null;
var screeningAudio = new Audio(), calibrationAudio = new Audio();

function show(name){
  document.querySelectorAll('.panel').forEach(function(p){ p.classList.remove('on'); });
  var panel = (name === 'fixation' || name === 'stimulus' || name === 'feedback') ? 'task' : name;
  $('p-' + panel).classList.add('on');
  $('main').classList.toggle('dark', panel === 'task');
  document.body.dataset.screen = name;
}
function fail(msg){ $('error').textContent = msg; document.body.dataset.error = msg; }
function playFailed(e){ if(!(e && e.name === 'AbortError')) fail('cannot play the sound: ' + e.message); }
function api(method, path, body){
  var opt = {method: method, headers: {'Content-Type': 'application/json'}};
  if(body !== undefined) opt.body = JSON.stringify(body);
  return fetch(path, opt).then(function(r){
    return r.json().then(function(j){ if(!r.ok) throw new Error(j.error || ('HTTP ' + r.status)); return j; });
  });
}
function load(){
  if(!pid){ show('participant'); return; }
  api('GET', '/api/state?participant=' + encodeURIComponent(pid)).then(function(s){
    state = s; route(true);
  }).catch(function(e){ fail(e.message); });
}
function route(fresh){
  var s = state;
  if(s.phase === 'setup') return setup();
  if(s.phase === 'screening') return s.screening.k === 0 ? show('calibration') : screening();
  if(s.phase === 'excluded') return show('excluded');
  if(s.phase === 'done') return show('done');
  if(fresh && s.trial.n > 0) {
    $('resume-text').textContent = (s.phase === 'practice' ? 'Practice trial ' : 'Trial ') + (s.trial.n + 1) +
      ' of ' + s.trial.of + ' is next.';
    return show('resume');
  }
  if(s.trial.n === 0){
    $('intro-title').textContent = s.phase === 'practice' ? 'Practice' : 'The study';
    $('intro-text').textContent = (s.phase === 'practice' ?
      'First, ' + s.trial.of + ' practice trials. After each click you will see where the sound was (red) and ' +
      'where you clicked (green). ' : 'Now the ' + s.trial.of + ' trials of the study, without feedback. ') +
      'Each trial starts with a cross in the middle of the screen; look at it. Then a picture appears and a ' +
      'sound plays over and over. Click where in the picture the sound comes from, as quickly and accurately as ' +
      'you can. You have ' + CFG.time_limit_s + ' seconds per trial.';
    return show('intro');
  }
  if(s.trial.break_before) {
    $('break-text').textContent = 'You have done ' + s.trial.n + ' of ' + s.trial.of +
      ' trials. Take a short break and continue when you are ready.';
    return show('break');
  }
  trial();
}

// -- set-up and consent -----------------------------------------------------------------
function setup(){
  var d = state.setup;
  $('minutes').textContent = String(state.minutes);
  $('default-distance').textContent = String(d.default_viewing_distance_m);
  $('screen-ppi').value = d.screen_ppi;
  $('viewing-distance').value = d.viewing_distance_m === null ? '' : d.viewing_distance_m;
  ruler();
  show('setup');
}
function ruler(){ $('ruler').style.width = (4 * parseFloat($('screen-ppi').value || '96')) + 'px'; }
$('screen-ppi').addEventListener('input', ruler);
$('consent').addEventListener('change', function(){ $('setup-go').disabled = !this.checked; });
$('setup-go').addEventListener('click', function(){
  api('POST', '/api/start', {participant: pid, consent: $('consent').checked,
      screen_ppi: $('screen-ppi').value, viewing_distance_m: $('viewing-distance').value})
    .then(function(s){ state = s; route(false); })
    .catch(function(e){ $('setup-error').textContent = e.message; });
});
$('participant-go').addEventListener('click', function(){
  var v = $('participant-id').value.trim();
  if(!/^[A-Za-z0-9_.-]{1,64}$/.test(v)){ $('participant-error').textContent =
    'Use letters, digits, dot, dash and underscore (at most 64).'; return; }
  location.search = '?participant=' + encodeURIComponent(v);
});

// -- headphone screening ----------------------------------------------------------------
$('calibration-play').addEventListener('click', function(){
  calibrationAudio.src = '/screening/calibration.wav'; calibrationAudio.play().catch(playFailed);
});
$('calibration-go').addEventListener('click', function(){ calibrationAudio.pause(); screening(); });
function screening(){
  var k = state.screening.k;
  $('screening-k').textContent = String(k + 1); $('screening-of').textContent = String(state.screening.of);
  $('screening-play').disabled = false;
  document.querySelectorAll('.answer').forEach(function(b){ b.disabled = true; });
  screeningAudio.src = state.screening.wav; screeningAudio.load();
  document.body.dataset.screeningTrial = String(k);
  show('screening');
}
$('screening-play').addEventListener('click', function(){
  $('screening-play').disabled = true;
  screeningAudio.onended = function(){
    t0 = performance.now();
    document.querySelectorAll('.answer').forEach(function(b){ b.disabled = false; });
    document.body.dataset.screen = 'screening-answer';
  };
  screeningAudio.play().catch(function(e){ playFailed(e); $('screening-play').disabled = false; });
});
[1, 2, 3].forEach(function(a){
  $('answer-' + a).addEventListener('click', function(){
    document.querySelectorAll('.answer').forEach(function(b){ b.disabled = true; });
    api('POST', '/api/screening', {participant: pid, k: state.screening.k, answer: a,
        rt_ms: performance.now() - t0}).then(function(s){ state = s; route(false); })
      .catch(function(e){ fail(e.message); });
  });
});

// -- trials -----------------------------------------------------------------------------
$('intro-go').addEventListener('click', function(){ trial(); });
$('resume-go').addEventListener('click', function(){ state.trial.break_before ? route(false) : trial(); });
$('break-go').addEventListener('click', function(){ trial(); });

function trial(){
  var t = state.trial, stage = $('stage'), img = $('stimulus'), clip = $('clip');
  current = t; answered = false; t0 = null;
  stage.querySelectorAll('.mark').forEach(function(m){ m.remove(); });
  stage.style.width = t.display.css_width + 'px'; stage.style.height = t.display.css_height + 'px';
  img.style.visibility = 'hidden'; $('fixation').style.display = 'block';
  $('progress').textContent = (state.phase === 'practice' ? 'Practice ' : 'Trial ') + (t.n + 1) + ' / ' + t.of;
  $('task-note').textContent = '';
  show('fixation');
  var imgReady = new Promise(function(ok, bad){ img.onload = ok; img.onerror = function(){ bad(new Error('image')); }; });
  var clipReady = new Promise(function(ok, bad){
    clip.oncanplaythrough = function(){ clip.oncanplaythrough = null; ok(); };
    clip.onerror = function(){ bad(new Error('audio')); };
  });
  img.src = t.image; clip.src = t.audio; clip.load();
  var fixation = new Promise(function(ok){ setTimeout(ok, CFG.fixation_ms); });
  Promise.all([imgReady, clipReady, fixation]).then(function(){
    $('fixation').style.display = 'none'; img.style.visibility = 'visible';
    clip.currentTime = 0;
    clip.onplaying = function(){
      if(t0 !== null) return;
      t0 = performance.now(); document.body.dataset.screen = 'stimulus';
      trialTimer = setTimeout(function(){ respond(null); }, CFG.time_limit_s * 1000);
    };
    return clip.play().catch(function(){
      $('task-note').textContent = 'Click the picture once to start the sound.';
      document.body.dataset.screen = 'blocked';
    });
  }).catch(function(e){ fail('cannot load the ' + e.message + ' of this trial'); });
}
$('stimulus').addEventListener('click', function(ev){
  if(document.body.dataset.screen === 'blocked'){ $('task-note').textContent = ''; $('clip').play(); return; }
  if(t0 === null || answered) return;
  var r = this.getBoundingClientRect(), d = current.display;
  var u = (ev.clientX - r.left) * d.width_px / r.width, v = (ev.clientY - r.top) * d.height_px / r.height;
  respond([Math.min(Math.max(u, 0), d.width_px), Math.min(Math.max(v, 0), d.height_px)]);
});
function respond(click){
  if(answered) return;
  answered = true; clearTimeout(trialTimer); document.body.dataset.screen = 'sending';
  var rt = performance.now() - t0, clip = $('clip'), r = $('stimulus').getBoundingClientRect();
  clip.pause();
  var body = {participant: pid, phase: state.phase, n: current.n, sample_id: current.sample_id, click_px: click,
    rt_ms: click === null ? null : rt,
    shown: {css_width: r.width, css_height: r.height, device_pixel_ratio: window.devicePixelRatio,
            window_css: [window.innerWidth, window.innerHeight], screen_css: [screen.width, screen.height]}};
  var wasPractice = state.phase === 'practice';
  api('POST', '/api/response', body).then(function(s){
    state = s;
    if(wasPractice && s.feedback){ feedback(click, s.feedback); }
    else route(false);
  }).catch(function(e){ fail(e.message); });
}
function mark(cls, px){
  var d = current.display, m = document.createElement('div');
  m.className = 'mark ' + cls;
  m.style.left = (px[0] / d.width_px * 100) + '%'; m.style.top = (px[1] / d.height_px * 100) + '%';
  $('stage').appendChild(m);
}
function feedback(click, fb){
  if(fb.target_px) mark('target', fb.target_px);
  if(click) mark('click', click);
  $('task-note').textContent = click === null ? 'Too slow: the time limit was reached.' :
    (fb.hit ? 'Correct: you clicked on the sounding object.' : 'The sound came from the red circle.');
  show('feedback');
  setTimeout(function(){ route(false); }, CFG.feedback_ms);
}
load();
})();
"""


def page(config: dict[str, Any]) -> str:
    """The study page with ``config`` (participant, time limit, fixation and feedback times)
    embedded as JSON."""
    data = json.dumps(config, separators=(",", ":")).replace("</", "<\\/")
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<title>{escape(str(config.get("title", "Sound localization study")))}</title>'
            f'<style>{CSS}</style></head><body data-screen="loading">{BODY}'
            f'<script type="application/json" id="config">{data}</script><script>{JS}</script></body></html>\n')
