// Transposed convolution (tfjs conv2dTranspose semantics), bias and activation fused,
// register-blocked for CPU-like adapters where every storage load is costly.
// TypeScript twin: convTransposeForward() in src/reference.ts (weights re-laid by
// packBlockedWeights()); uniform packed by packConvTransposeBlockedParams() in src/gpu/kernels.ts.
//
// Version 2 (version 1 is conv_transpose.wgsl, still used when inC is not a multiple of 4):
// - Phase-split: output pixels with the same (oy mod sy, ox mod sx) use the same taps, so a
//   workgroup takes one phase only and its tap loops are uniform; no tap touches an inserted zero.
// - Each invocation computes PIX neighbouring pixels of its phase row × COV·4 output channels:
//   one vec4 load of x feeds COV·4·4 FMAs, and the weight loads are the same for the whole
//   workgroup. PIX·COV = 8 accumulators of vec4.
// Measured on llvmpipe (see README "Performance"): about 5× version 1.

struct Params {
  batch: u32,
  in_h: u32,
  in_w: u32,
  in_c: u32,       // multiple of 4
  out_h: u32,
  out_w: u32,
  out_c: u32,
  k_h: u32,
  k_w: u32,
  stride_h: u32,
  stride_w: u32,
  pad_top: u32,
  pad_left: u32,
  activation: u32, // 0 linear, 1 relu, 2 sigmoid, 3 tanh
  co_vecs: u32,    // output channels padded to COV·4, in vec4s
  tiles: u32,      // workgroups per (phase, channel block)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4f>;       // (B, inH, inW, inC/4) of vec4
@group(0) @binding(2) var<storage, read> kernel: array<vec4f>;  // (kH, kW, inC, co_vecs) of vec4
@group(0) @binding(3) var<storage, read> bias: array<vec4f>;    // (co_vecs) of vec4
@group(0) @binding(4) var<storage, read_write> out: array<f32>; // (B, outH, outW, outC)

override WG: u32 = 64;
// Output vec4s per invocation (1 or 2); pixels per invocation is 8 / COV.
override COV: u32 = 2;
const SLOTS = 8u;

// The pipeline's ACTIVATION constant where it was made with one (the decoder makes one per layer:
// the other three then fold away, where llvmpipe would run all four under a mask), else the
// uniform's code (0–3 as in Params).
override ACTIVATION: u32 = 4u;

fn activate(v: vec4f, uniform_code: u32) -> vec4f {
  let code = select(uniform_code, ACTIVATION, ACTIVATION < 4u);
  if (code == 1u) { return max(v, vec4f(0.0)); }
  if (code == 2u) { return 1.0 / (1.0 + exp(-v)); }
  if (code == 3u) { return tanh(v); }
  return v;
}

// Workgroup g (uniform) → (channel block, phase, tile); lane → a run of PIX pixels of that phase:
// qx0 = PIX·(run mod runs per row), qy, frame b. Pixel j of the run is output column
// px + sx·(qx0 + j), which reads input column ix0 + j.
@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let p = params;
  let pix_per = SLOTS / COV;
  let g = wid.x + wid.y * groups.x;
  let tile = g % p.tiles;
  let rest = g / p.tiles;
  let phases = p.stride_h * p.stride_w;
  let phase = rest % phases;
  let cob = rest / phases;
  let py = phase / p.stride_w;
  let px = phase % p.stride_w;
  if (cob * COV >= p.co_vecs || py >= p.out_h || px >= p.out_w) { return; }
  let qh = (p.out_h - py + p.stride_h - 1u) / p.stride_h;
  let qw = (p.out_w - px + p.stride_w - 1u) / p.stride_w;
  let runs = (qw + pix_per - 1u) / pix_per;
  let n = tile * WG + lid;
  if (n >= p.batch * qh * runs) { return; }
  let qx0 = (n % runs) * pix_per;
  let t = n / runs;
  let qy = t % qh;
  let b = t / qh;
  let oy = py + p.stride_h * qy;
  let in_c4 = p.in_c / 4u;

  var acc: array<vec4f, SLOTS>;
  for (var s = 0u; s < SLOTS; s++) { acc[s] = bias[cob * COV + s % COV]; }

  let ky0 = (py + p.pad_top) % p.stride_h;
  let kx0 = (px + p.pad_left) % p.stride_w;
  for (var ky = ky0; ky < p.k_h; ky += p.stride_h) {
    let ty = i32(oy + p.pad_top) - i32(ky);
    let iy = ty / i32(p.stride_h);
    if (ty < 0 || iy >= i32(p.in_h)) { continue; }
    for (var kx = kx0; kx < p.k_w; kx += p.stride_w) {
      // Input column of pixel 0; (ox0 + pad − kx) is a multiple of sx by the choice of kx0.
      let ix0 = (i32(px + p.stride_w * qx0 + p.pad_left) - i32(kx)) / i32(p.stride_w);
      let row = (b * p.in_h + u32(iy)) * p.in_w;
      let wrow = (ky * p.k_w + kx) * p.in_c;
      for (var c4 = 0u; c4 < in_c4; c4++) {
        var xv: array<vec4f, SLOTS>;
        for (var j = 0u; j < pix_per; j++) {
          let ix = ix0 + i32(j);
          let ok = ix >= 0 && ix < i32(p.in_w) && qx0 + j < qw;
          xv[j] = select(vec4f(0.0), x[(row + u32(select(0, ix, ok))) * in_c4 + c4], ok);
        }
        let wb = (wrow + c4 * 4u) * p.co_vecs + cob * COV;
        for (var cv = 0u; cv < COV; cv++) {
          let w0 = kernel[wb + cv];
          let w1 = kernel[wb + p.co_vecs + cv];
          let w2 = kernel[wb + 2u * p.co_vecs + cv];
          let w3 = kernel[wb + 3u * p.co_vecs + cv];
          for (var j = 0u; j < pix_per; j++) {
            let v = xv[j];
            acc[j * COV + cv] = fma(vec4f(v.x), w0, fma(vec4f(v.y), w1, fma(vec4f(v.z), w2, fma(vec4f(v.w), w3, acc[j * COV + cv]))));
          }
        }
      }
    }
  }
  for (var j = 0u; j < pix_per; j++) {
    if (qx0 + j >= qw) { continue; }
    let ox = px + p.stride_w * (qx0 + j);
    let ob = ((b * p.out_h + oy) * p.out_w + ox) * p.out_c;
    for (var cv = 0u; cv < COV; cv++) {
      let v = activate(acc[j * COV + cv], p.activation);
      let co = (cob * COV + cv) * 4u;
      for (var k = 0u; k < 4u; k++) {
        if (co + k < p.out_c) { out[ob + co + k] = v[k]; }
      }
    }
  }
}
