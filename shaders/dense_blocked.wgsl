// Dense layer with bias and activation fused: out = act(x · kernel + bias).
// TypeScript twin: denseForward() in src/reference.ts; uniform packed by packDenseParams()
// in src/gpu/kernels.ts.
// Version 2 (version 1 is dense.wgsl, still used when IN or UNITS is not a multiple of 4): each
// invocation computes 8 frames × 16 units, so every vec4 of kernel it loads feeds 8 frames and
// every vec4 of x feeds 16 units. On llvmpipe a load costs some 30 FMAs, and version 1 spent
// two loads on each FMA.

struct Params {
  batch: u32,       // frames in this dispatch
  in_dim: u32,      // IN, a multiple of 4
  units: u32,       // UNITS, a multiple of 4
  activation: u32,  // 0 linear, 1 relu, 2 sigmoid, 3 tanh (ACTIVATIONS in src/architecture.ts)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4f>;      // (B, IN/4) of vec4
@group(0) @binding(2) var<storage, read> kernel: array<vec4f>; // (IN, UNITS/4) of vec4
@group(0) @binding(3) var<storage, read> bias: array<vec4f>;   // (UNITS/4) of vec4
@group(0) @binding(4) var<storage, read_write> out: array<vec4f>; // (B, UNITS/4) of vec4

override WG: u32 = 64;

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

// Frame f's input vec4 k4 (zero past the batch, so the last block needs no branches inside).
fn load_x(f: u32, k4: u32, in4: u32) -> vec4f {
  let ok = f < params.batch;
  return select(vec4f(0.0), x[select(0u, f, ok) * in4 + k4], ok);
}

// acc + x₀·w₀ + x₁·w₁ + x₂·w₂ + x₃·w₃ for the 16 units held as a mat4x4f (column = 4 units).
fn mac(acc: mat4x4f, v: vec4f, w0: mat4x4f, w1: mat4x4f, w2: mat4x4f, w3: mat4x4f) -> mat4x4f {
  return acc + w0 * v.x + w1 * v.y + w2 * v.z + w3 * v.w;
}

fn store(m: mat4x4f, f: u32, u4: u32, units4: u32) {
  if (f >= params.batch) { return; }
  for (var c = 0u; c < 4u; c++) {
    if (u4 + c < units4) { out[f * units4 + u4 + c] = activate(m[c], params.activation); }
  }
}

// The 4 × 16 block of kernel rows k…k+3 (one mat4x4f per row), unit vec4s u4…u4+3, clamped
// inside the kernel: columns past UNITS/4 are computed from repeated weights and not stored.
fn weights(k: u32, u4: u32, units4: u32) -> mat4x4f {
  let last = units4 - 1u;
  let r = k * units4;
  return mat4x4f(
    kernel[r + min(u4, last)],
    kernel[r + min(u4 + 1u, last)],
    kernel[r + min(u4 + 2u, last)],
    kernel[r + min(u4 + 3u, last)],
  );
}

// Invocation n (linear over a 2-D grid of workgroups) → unit block n mod blocks (16 units),
// frame block n / blocks (8 frames).
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let n = gid.x + gid.y * groups.x * WG;
  let units4 = p.units / 4u;
  let blocks = (units4 + 3u) / 4u;
  if (n >= blocks * ((p.batch + 7u) / 8u)) { return; }
  let u4 = (n % blocks) * 4u;
  let f0 = (n / blocks) * 8u;
  let in4 = p.in_dim / 4u;
  let last = units4 - 1u;
  let bm = mat4x4f(
    bias[min(u4, last)],
    bias[min(u4 + 1u, last)],
    bias[min(u4 + 2u, last)],
    bias[min(u4 + 3u, last)],
  );
  var a0 = bm;
  var a1 = bm;
  var a2 = bm;
  var a3 = bm;
  var a4 = bm;
  var a5 = bm;
  var a6 = bm;
  var a7 = bm;
  for (var k4 = 0u; k4 < in4; k4++) {
    let w0 = weights(4u * k4, u4, units4);
    let w1 = weights(4u * k4 + 1u, u4, units4);
    let w2 = weights(4u * k4 + 2u, u4, units4);
    let w3 = weights(4u * k4 + 3u, u4, units4);
    a0 = mac(a0, load_x(f0, k4, in4), w0, w1, w2, w3);
    a1 = mac(a1, load_x(f0 + 1u, k4, in4), w0, w1, w2, w3);
    a2 = mac(a2, load_x(f0 + 2u, k4, in4), w0, w1, w2, w3);
    a3 = mac(a3, load_x(f0 + 3u, k4, in4), w0, w1, w2, w3);
    a4 = mac(a4, load_x(f0 + 4u, k4, in4), w0, w1, w2, w3);
    a5 = mac(a5, load_x(f0 + 5u, k4, in4), w0, w1, w2, w3);
    a6 = mac(a6, load_x(f0 + 6u, k4, in4), w0, w1, w2, w3);
    a7 = mac(a7, load_x(f0 + 7u, k4, in4), w0, w1, w2, w3);
  }
  store(a0, f0, u4, units4);
  store(a1, f0 + 1u, u4, units4);
  store(a2, f0 + 2u, u4, units4);
  store(a3, f0 + 3u, u4, units4);
  store(a4, f0 + 4u, u4, units4);
  store(a5, f0 + 5u, u4, units4);
  store(a6, f0 + 6u, u4, units4);
  store(a7, f0 + 7u, u4, units4);
}
