// Transposed convolution (tfjs conv2dTranspose semantics) with bias and activation fused.
// Output pixel o receives input pixel i through tap k when o = i·stride + k − pad, so an
// output pixel only visits the taps of its own phase ((o + pad) mod stride): no work is spent
// on the zeros a stride-s transposed convolution conceptually inserts.
// TypeScript twin: convTransposeForward() in src/reference.ts; uniform packed by
// packConvTransposeParams() in src/gpu/kernels.ts.
// Version 1: one invocation per output value, channels innermost.

struct Params {
  batch: u32,
  in_h: u32,
  in_w: u32,
  in_c: u32,
  out_h: u32,
  out_w: u32,
  out_c: u32,
  k_h: u32,
  k_w: u32,
  stride_h: u32,
  stride_w: u32,
  pad_top: u32,
  pad_left: u32,
  activation: u32,  // 0 linear, 1 relu, 2 sigmoid, 3 tanh
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;       // (B, inH, inW, inC)
@group(0) @binding(2) var<storage, read> kernel: array<f32>;  // (kH, kW, outC, inC)
@group(0) @binding(3) var<storage, read> bias: array<f32>;    // (outC)
@group(0) @binding(4) var<storage, read_write> out: array<f32>; // (B, outH, outW, outC)

override WG: u32 = 64;

// The pipeline's ACTIVATION constant where it was made with one (the decoder makes one per layer:
// the other three then fold away, where llvmpipe would run all four under a mask), else the
// uniform's code (0–3 as in Params).
override ACTIVATION: u32 = 4u;

fn activate(v: f32, uniform_code: u32) -> f32 {
  let code = select(uniform_code, ACTIVATION, ACTIVATION < 4u);
  if (code == 1u) { return max(v, 0.0); }
  if (code == 2u) { return 1.0 / (1.0 + exp(-v)); }
  if (code == 3u) { return tanh(v); }
  return v;
}

// Invocation i computes out[i], i = ((b·outH + oy)·outW + ox)·outC + co.
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let i = gid.x + gid.y * groups.x * WG;
  if (i >= p.batch * p.out_h * p.out_w * p.out_c) { return; }
  let co = i % p.out_c;
  let pix = i / p.out_c;
  let ox = pix % p.out_w;
  let rest = pix / p.out_w;
  let oy = rest % p.out_h;
  let b = rest / p.out_h;
  var acc = bias[co];
  let ty = oy + p.pad_top;
  let tx = ox + p.pad_left;
  for (var ky = ty % p.stride_h; ky < p.k_h && ky <= ty; ky += p.stride_h) {
    let iy = (ty - ky) / p.stride_h;
    if (iy >= p.in_h) { continue; }
    for (var kx = tx % p.stride_w; kx < p.k_w && kx <= tx; kx += p.stride_w) {
      let ix = (tx - kx) / p.stride_w;
      if (ix >= p.in_w) { continue; }
      let xb = ((b * p.in_h + iy) * p.in_w + ix) * p.in_c;
      let wb = ((ky * p.k_w + kx) * p.out_c + co) * p.in_c;
      for (var ci = 0u; ci < p.in_c; ci++) {
        acc = fma(x[xb + ci], kernel[wb + ci], acc);
      }
    }
  }
  out[i] = activate(acc, p.activation);
}
