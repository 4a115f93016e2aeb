// Dense layer with bias and activation fused: out = act(x · kernel + bias).
// TypeScript twin: denseForward() in src/reference.ts; uniform packed by packDenseParams()
// in src/gpu/kernels.ts.
// Version 1: one invocation per output value; neighbouring invocations read neighbouring
// kernel columns, so the kernel row is read contiguously.

struct Params {
  batch: u32,       // frames in this dispatch
  in_dim: u32,      // IN
  units: u32,       // UNITS
  activation: u32,  // 0 linear, 1 relu, 2 sigmoid, 3 tanh (ACTIVATIONS in src/architecture.ts)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;       // (B, IN)
@group(0) @binding(2) var<storage, read> kernel: array<f32>;  // (IN, UNITS)
@group(0) @binding(3) var<storage, read> bias: array<f32>;    // (UNITS)
@group(0) @binding(4) var<storage, read_write> out: array<f32>; // (B, UNITS)

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

// Invocation i (linear over a 2-D grid of workgroups) computes out[i], i = b·UNITS + j.
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * WG;
  if (i >= params.batch * params.units) { return; }
  let b = i / params.units;
  let j = i % params.units;
  var acc = bias[j];
  let xb = b * params.in_dim;
  for (var k = 0u; k < params.in_dim; k++) {
    acc = fma(x[xb + k], kernel[k * params.units + j], acc);
  }
  out[i] = activate(acc, params.activation);
}
