/**
 * Frame delays, so that by default each digit lasts about one second, as on a real countdown.
 *
 * @module
 */

/**
 * Browsers show GIF delays below 2 centiseconds as 10 cs, so no frame is given less than this.
 */
export const MIN_DELAY_CS = 2;

/**
 * Delays in centiseconds for every frame of a run.
 *
 * Each transition lasts `pace` seconds: its keyframe is held for `hold` of that time and the
 * `steps − 1` in-between frames share the rest as evenly as whole centiseconds allow. The last
 * keyframe is held for a whole `pace` before the GIF loops. If the in-betweens would drop below
 * {@link MIN_DELAY_CS}, they get that minimum and the transition runs a little longer.
 *
 * @param transitions Number of transitions (|start − end|).
 * @param steps Frames per transition (n).
 * @param pace Seconds per digit.
 * @param hold Fraction of `pace` spent on the keyframe, in [0, 1).
 * @returns One delay per frame, in centiseconds.
 */
export function frameDelays(
  transitions: number,
  steps: number,
  pace: number,
  hold: number,
): number[] {
  const total = Math.max(MIN_DELAY_CS, Math.round(pace * 100));
  const between = steps - 1;
  const keyHold = between === 0 ? total : Math.max(MIN_DELAY_CS, Math.round(total * hold));
  const rest = total - keyHold;
  const perTransition: number[] = [keyHold];
  for (let j = 0; j < between; j++) {
    // Spread the remainder evenly: frame j gets the difference of two rounded cumulative sums.
    const d = Math.round((rest * (j + 1)) / between) - Math.round((rest * j) / between);
    perTransition.push(Math.max(MIN_DELAY_CS, d));
  }
  const delays: number[] = [];
  for (let t = 0; t < transitions; t++) delays.push(...perTransition);
  delays.push(total);
  return delays;
}
