/**
 * Helpers of the safemigrate example pack. They run only because the pack is named explicitly
 * (`--pack examples/packs/safemigrate`, or `packs` in the project config); bg-scaffold never runs
 * the helpers of a .bg-scaffold/templates/ folder that is merely present.
 */

/**
 * Which side of the deploy a phase's migration runs on, for django-safemigrate:
 * "after_deploy" when the phase changes no application code (no model edits beyond removing
 * bg-scaffold's markers, no code blocks), so the code being deployed is the code that already
 * serves and does not need the migration; "before_deploy" for every other phase, whose new code
 * needs its migration in place. See README.md for the reasoning.
 */
export function safemigrateWhen(phase) {
  const codeUnchanged = phase.codeBlocks.length === 0 && phase.modelEdits.every((edit) => edit.kind === 'unmark');
  return codeUnchanged ? 'after_deploy' : 'before_deploy';
}
