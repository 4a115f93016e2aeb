// Resize one-channel images and quantise them to grey levels in one pass, four output pixels
// (one packed u32, little-endian) per invocation: the fused form of resize.wgsl + quantize.wgsl,
// which skips writing and re-reading a float image of the output size.
// TypeScript twin: quantizeForward(resizeForward(x, …, channels = 1, …)) in src/reference.ts;
// uniform packed by packResizeQuantizeParams() in src/gpu/kernels.ts.
// Version 1: bilinear (half-pixel centres, edges clamped) when enlarging, area when shrinking,
// the same arithmetic as resize.wgsl; level = floor(clamp(v, 0, 1)·255 + 0.5) as quantize.wgsl.

struct Params {
  batch: u32,
  in_h: u32,
  in_w: u32,
  out_h: u32,
  out_w: u32,
  mode: u32,   // 0 bilinear, 1 area
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;         // (B, inH, inW)
@group(0) @binding(2) var<storage, read_write> out: array<u32>; // (ceil(B·outH·outW / 4)) packed bytes

override WG: u32 = 64;

fn bilinear(o: u32, in_len: u32, out_len: u32) -> vec3f {
  let scale = f32(in_len) / f32(out_len);
  let src = clamp((f32(o) + 0.5) * scale - 0.5, 0.0, f32(in_len - 1u));
  let i0 = floor(src);
  let i1 = min(i0 + 1.0, f32(in_len - 1u));
  return vec3f(i0, i1, src - i0);
}

fn cover(i: u32, start: f32, end: f32, scale: f32) -> f32 {
  return max(min(end, f32(i) + 1.0) - max(start, f32(i)), 0.0) / scale;
}

// The resized value of output pixel `idx` (frame-major, row-major).
fn pixel(idx: u32) -> f32 {
  let p = params;
  let ox = idx % p.out_w;
  let rest = idx / p.out_w;
  let oy = rest % p.out_h;
  let base = (rest / p.out_h) * p.in_h;
  if (p.mode == 0u) {
    let wy = bilinear(oy, p.in_h, p.out_h);
    let wx = bilinear(ox, p.in_w, p.out_w);
    let r0 = (base + u32(wy.x)) * p.in_w;
    let r1 = (base + u32(wy.y)) * p.in_w;
    let top = (1.0 - wx.z) * x[r0 + u32(wx.x)] + wx.z * x[r0 + u32(wx.y)];
    let bottom = (1.0 - wx.z) * x[r1 + u32(wx.x)] + wx.z * x[r1 + u32(wx.y)];
    return (1.0 - wy.z) * top + wy.z * bottom;
  }
  let sy = f32(p.in_h) / f32(p.out_h);
  let sx = f32(p.in_w) / f32(p.out_w);
  let y_start = f32(oy) * sy;
  let y_end = f32(oy + 1u) * sy;
  let x_start = f32(ox) * sx;
  let x_end = f32(ox + 1u) * sx;
  var acc = 0.0;
  for (var iy = u32(floor(y_start)); iy < min(u32(ceil(y_end)), p.in_h); iy++) {
    let fy = cover(iy, y_start, y_end, sy);
    for (var ix = u32(floor(x_start)); ix < min(u32(ceil(x_end)), p.in_w); ix++) {
      acc += fy * cover(ix, x_start, x_end, sx) * x[(base + iy) * p.in_w + ix];
    }
  }
  return acc;
}

// Invocation w packs output pixels 4w … 4w + 3 into out[w].
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let w = gid.x + gid.y * groups.x * WG;
  let count = params.batch * params.out_h * params.out_w;
  if (w * 4u >= count) { return; }
  var word = 0u;
  for (var k = 0u; k < 4u; k++) {
    let idx = w * 4u + k;
    if (idx < count) {
      let level = u32(floor(clamp(pixel(idx), 0.0, 1.0) * 255.0 + 0.5));
      word = word | (level << (8u * k));
    }
  }
  out[w] = word;
}
