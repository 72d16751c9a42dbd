"""The preview site's CSS and JavaScript, inlined into every page (no network, no external file,
so the pages open from file://). Vanilla JS, no libraries.

* :data:`RLE_JS`: ``rleDecode({counts, size: [h, w]})`` -> ``Uint8Array`` of ``h * w`` (row-major,
  1 = on the mask) from a COCO RLE whose ``counts`` is the compressed string (or a list); COCO runs
  go down the columns (Fortran order), starting with a run of zeros.
* :data:`SAMPLE_JS`: draws a sample's overlays on the ``<canvas id="overlay">`` laid over its image,
  in image pixels times the page's zoom: masks, boxes (COCO ``[x, y, w, h]``), the audio
  targets' pixels (and disks), the sources' pixels, labels; each kind and each object toggled by
  a checkbox; with an evaluation, the chosen model's map (min-max scaled to 0-255, a blue-to-red
  ramp at 55 % opacity, smoothed bilinearly from the model's resolution to the image) under
  them and its peak pixel.
* :data:`INDEX_JS`: filters the contact sheet by condition, size bin and category (query string
  ``?condition=..&size_bin=..&category=..``, carried over to the other index pages).
"""
from __future__ import annotations

CSS = """
body{font-family:sans-serif;margin:1em;color:#222;background:#fafafa}
a{color:#0b5cad}
nav{margin:.5em 0}
nav a,nav span{margin-right:.8em}
.filters select{margin-right:1em}
.sheet{display:flex;flex-wrap:wrap;gap:6px}
.thumb{display:block;width:136px;font-size:11px;text-align:center;text-decoration:none;color:#222;
 background:#fff;border:1px solid #ddd;padding:3px}
.thumb img{width:128px;height:128px;object-fit:contain;image-rendering:pixelated;background:#eee}
.thumb.hidden{display:none}
.stage{position:relative;display:inline-block;line-height:0}
.stage img,.stage canvas{image-rendering:pixelated}
.stage canvas{position:absolute;left:0;top:0}
.row{display:flex;flex-wrap:wrap;gap:2em;align-items:flex-start}
.controls label{display:inline-block;margin-right:1em}
.objects label{display:block;font-size:13px}
.swatch{display:inline-block;width:.8em;height:.8em;margin-right:.3em}
figure{margin:.3em 0}
figcaption{font-size:13px}
pre{background:#fff;border:1px solid #ddd;padding:.5em;max-height:40em;overflow:auto;font-size:12px}
table.meta td{padding:0 1em 0 0}
.legend{font-size:12px;color:#555}
table.eval{border-collapse:collapse;font-size:13px;margin-top:.3em}
table.eval td,table.eval th{border:1px solid #ddd;padding:1px 6px}
td.hit{background:#c8f0c8}
td.miss{background:#f6c9c9}
td.na{color:#999}
"""

RLE_JS = r"""
function rleDecode(rle){
  var h=rle.size[0], w=rle.size[1], cnts=rle.counts;
  if(typeof cnts==='string'){
    var s=cnts, a=[], p=0;
    while(p<s.length){
      var x=0, k=0, more=1, c;
      while(more){
        c=s.charCodeAt(p)-48; x|=(c&31)<<(5*k); more=c&32; p++; k++;
        if(!more&&(c&16)) x|=-1<<(5*k);
      }
      if(a.length>2) x+=a[a.length-2];
      a.push(x);
    }
    cnts=a;
  }
  var m=new Uint8Array(h*w), i=0, v=0;
  for(var j=0;j<cnts.length;j++){
    if(v){ for(var n=0;n<cnts[j];n++){ var q=i+n; m[(q%h)*w+Math.floor(q/h)]=1; } }
    i+=cnts[j]; v=1-v;
  }
  return m;
}
"""

SAMPLE_JS = r"""
(function(){
  var d=JSON.parse(document.getElementById('overlay-data').textContent);
  var cv=document.getElementById('overlay'), ctx=cv.getContext('2d'), z=d.zoom;
  function box(id){ var e=document.getElementById(id); return e&&e.checked; }
  function maskCanvas(o){
    if(o._mc) return o._mc;
    var h=o.mask.size[0], w=o.mask.size[1], m=rleDecode(o.mask);
    var c=document.createElement('canvas'); c.width=w; c.height=h;
    var g=c.getContext('2d'), img=g.createImageData(w,h), rgb=o.rgb;
    for(var i=0;i<m.length;i++){ if(m[i]){ img.data[4*i]=rgb[0]; img.data[4*i+1]=rgb[1]; img.data[4*i+2]=rgb[2];
      img.data[4*i+3]=110; } }
    g.putImageData(img,0,0); o._mc=c; return c;
  }
  function cross(x,y,colour,label){
    ctx.strokeStyle=colour; ctx.lineWidth=2; ctx.beginPath();
    ctx.moveTo(x*z-8,y*z); ctx.lineTo(x*z+8,y*z); ctx.moveTo(x*z,y*z-8); ctx.lineTo(x*z,y*z+8); ctx.stroke();
    ctx.beginPath(); ctx.arc(x*z,y*z,5,0,2*Math.PI); ctx.stroke();
    if(label&&box('show-labels')){ ctx.fillStyle=colour; ctx.fillText(label,x*z+9,y*z-6); }
  }
  function heatCanvas(e){
    if(e._hc) return e._hc;
    var m=e.map, c=document.createElement('canvas'); c.width=m.w; c.height=m.h;
    var g=c.getContext('2d'), img=g.createImageData(m.w,m.h);
    for(var i=0;i<m.values.length;i++){ var t=m.values[i]/255;
      img.data[4*i]=Math.round(255*Math.min(1,2*t)); img.data[4*i+1]=Math.round(255*(1-Math.abs(2*t-1)));
      img.data[4*i+2]=Math.round(255*Math.min(1,2-2*t)); img.data[4*i+3]=140; }
    g.putImageData(img,0,0); e._hc=c; return c;
  }
  function heatChoice(){ var r=document.querySelector('input[name="heat"]:checked'); return r&&r.value!==''?d.eval[+r.value]:null; }
  function draw(){
    ctx.clearRect(0,0,cv.width,cv.height); ctx.font='12px sans-serif';
    var e=heatChoice();
    if(e&&e.map){ ctx.imageSmoothingEnabled=true; ctx.drawImage(heatCanvas(e),0,0,cv.width,cv.height); }
    ctx.imageSmoothingEnabled=false;
    d.objects.forEach(function(o){
      if(!box('obj-'+o.id)) return;
      var col='rgb('+o.rgb.join(',')+')';
      if(box('show-masks')&&o.mask) ctx.drawImage(maskCanvas(o),0,0,o.mask.size[1]*z,o.mask.size[0]*z);
      if(box('show-boxes')&&o.bbox){ ctx.strokeStyle=col; ctx.lineWidth=2;
        ctx.strokeRect(o.bbox[0]*z,o.bbox[1]*z,o.bbox[2]*z,o.bbox[3]*z); }
      if(box('show-labels')&&o.bbox){ ctx.fillStyle=col; ctx.fillText(o.id+' '+o.category+' ('+o.role+')',
        o.bbox[0]*z+2,o.bbox[1]*z+12); }
    });
    if(box('show-targets')) d.targets.forEach(function(t){
      if(t.disk&&t.disk.mask){ ctx.drawImage(maskCanvas(t.disk),0,0,t.disk.mask.size[1]*z,t.disk.mask.size[0]*z); }
      if(t.pixel) cross(t.pixel[0],t.pixel[1],'#ff00ff',t.label);
    });
    if(box('show-sources')) d.sources.forEach(function(s){ if(s.pixel) cross(s.pixel[0],s.pixel[1],'#00e5ff',s.label); });
    if(e&&e.peak) cross(e.peak[0],e.peak[1],'#ffffff','peak');
  }
  var inputs=document.querySelectorAll('.controls input, .objects input');
  for(var i=0;i<inputs.length;i++) inputs[i].addEventListener('change',draw);
  draw();
})();
"""

INDEX_JS = r"""
(function(){
  var items=JSON.parse(document.getElementById('page-data').textContent).items;
  var keys=['condition','size_bin','category'], q=new URLSearchParams(location.search);
  keys.forEach(function(k){
    var sel=document.getElementById('f-'+k), seen={};
    items.forEach(function(it){ seen[it[k]]=1; });
    var want=q.get(k);
    if(want!==null) seen[want]=1;
    Object.keys(seen).sort().forEach(function(v){ var o=document.createElement('option'); o.value=v; o.textContent=v;
      sel.appendChild(o); });
    if(want!==null) sel.value=want;
    sel.addEventListener('change',apply);
  });
  function apply(){
    var f={}, p=new URLSearchParams();
    keys.forEach(function(k){ var v=document.getElementById('f-'+k).value; if(v){ f[k]=v; p.set(k,v); } });
    var thumbs=document.querySelectorAll('.thumb'), shown=0;
    for(var i=0;i<thumbs.length;i++){
      var t=thumbs[i], ok=keys.every(function(k){ return !(k in f)||t.dataset[k]===f[k]; });
      t.classList.toggle('hidden',!ok); if(ok) shown++;
    }
    document.getElementById('shown').textContent=shown+' of '+thumbs.length+' shown';
    var qs=p.toString(), links=document.querySelectorAll('nav a.page');
    for(var j=0;j<links.length;j++){ links[j].href=links[j].getAttribute('data-href')+(qs?'?'+qs:''); }
  }
  apply();
})();
"""
