// Quantise [0, 1] floats to grey levels, four bytes packed per u32 (little-endian order, so the
// buffer read back as bytes is the frames in order): level = floor(clamp(v, 0, 1)·255 + 0.5).
// TypeScript twin: quantizeForward() in src/reference.ts; uniform packed by
// packQuantizeParams() in src/gpu/kernels.ts.
// Version 1: one invocation per output word.

struct Params {
  count: u32,   // number of input values (bytes out); the last word may be partly used
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;         // (count)
@group(0) @binding(2) var<storage, read_write> out: array<u32>; // (ceil(count / 4))

override WG: u32 = 64;

// Invocation w packs x[4w .. 4w + 3] into out[w].
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let w = gid.x + gid.y * groups.x * WG;
  if (w * 4u >= params.count) { return; }
  var word = 0u;
  for (var k = 0u; k < 4u; k++) {
    let idx = w * 4u + k;
    if (idx < params.count) {
      let level = u32(floor(clamp(x[idx], 0.0, 1.0) * 255.0 + 0.5));
      word = word | (level << (8u * k));
    }
  }
  out[w] = word;
}
