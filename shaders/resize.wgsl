// Resize a batch of images: bilinear (half-pixel centres, edges clamped) when enlarging,
// area averaging when shrinking.
// TypeScript twin: resizeForward() / axisWeights() in src/reference.ts; uniform packed by
// packResizeParams() in src/gpu/kernels.ts.
// Version 1: one invocation per output value; area mode loops over the covered source
// rectangle with fractional edge weights.

struct Params {
  batch: u32,
  in_h: u32,
  in_w: u32,
  channels: u32,
  out_h: u32,
  out_w: u32,
  mode: u32,   // 0 bilinear, 1 area
  _pad0: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;         // (B, inH, inW, C)
@group(0) @binding(2) var<storage, read_write> out: array<f32>; // (B, outH, outW, C)

override WG: u32 = 64;

// Bilinear source position of output index o along an axis: (i0, i1, fraction of i1).
fn bilinear(o: u32, in_len: u32, out_len: u32) -> vec3f {
  let scale = f32(in_len) / f32(out_len);
  let src = clamp((f32(o) + 0.5) * scale - 0.5, 0.0, f32(in_len - 1u));
  let i0 = floor(src);
  let i1 = min(i0 + 1.0, f32(in_len - 1u));
  return vec3f(i0, i1, src - i0);
}

// Weight of source index i for the area covering [start, end), divided by the area's length.
fn cover(i: u32, start: f32, end: f32, scale: f32) -> f32 {
  return max(min(end, f32(i) + 1.0) - max(start, f32(i)), 0.0) / scale;
}

// Invocation i computes out[i], i = ((b·outH + oy)·outW + ox)·C + c.
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let i = gid.x + gid.y * groups.x * WG;
  if (i >= p.batch * p.out_h * p.out_w * p.channels) { return; }
  let c = i % p.channels;
  let pix = i / p.channels;
  let ox = pix % p.out_w;
  let rest = pix / p.out_w;
  let oy = rest % p.out_h;
  let b = rest / p.out_h;
  let base = b * p.in_h;
  var acc = 0.0;
  if (p.mode == 0u) {
    let wy = bilinear(oy, p.in_h, p.out_h);
    let wx = bilinear(ox, p.in_w, p.out_w);
    let y0 = u32(wy.x);
    let y1 = u32(wy.y);
    let x0 = u32(wx.x);
    let x1 = u32(wx.y);
    let v00 = x[((base + y0) * p.in_w + x0) * p.channels + c];
    let v01 = x[((base + y0) * p.in_w + x1) * p.channels + c];
    let v10 = x[((base + y1) * p.in_w + x0) * p.channels + c];
    let v11 = x[((base + y1) * p.in_w + x1) * p.channels + c];
    acc = (1.0 - wy.z) * ((1.0 - wx.z) * v00 + wx.z * v01) + wy.z * ((1.0 - wx.z) * v10 + wx.z * v11);
  } else {
    let sy = f32(p.in_h) / f32(p.out_h);
    let sx = f32(p.in_w) / f32(p.out_w);
    let y_start = f32(oy) * sy;
    let y_end = f32(oy + 1u) * sy;
    let x_start = f32(ox) * sx;
    let x_end = f32(ox + 1u) * sx;
    for (var iy = u32(floor(y_start)); iy < min(u32(ceil(y_end)), p.in_h); iy++) {
      let fy = cover(iy, y_start, y_end, sy);
      for (var ix = u32(floor(x_start)); ix < min(u32(ceil(x_end)), p.in_w); ix++) {
        acc += fy * cover(ix, x_start, x_end, sx) * x[((base + iy) * p.in_w + ix) * p.channels + c];
      }
    }
  }
  out[i] = acc;
}
