/**
 * The few domain errors of sortscope. Each carries the process exit code the CLI uses:
 * 2 for bad configuration or flags (nothing was written), 3 for an unusable artifact,
 * 4 for a shape mismatch at a stage boundary, 1 for anything else.
 */
export class SortscopeError extends Error {
  readonly exitCode: number = 1;
}

/** A config file, a flag or a config section failed validation. */
export class ConfigError extends SortscopeError {
  override readonly exitCode = 2;
  override name = 'ConfigError';
}

/** An artifact is missing, of another kind or version, or damaged. */
export class ArtifactError extends SortscopeError {
  override readonly exitCode = 3;
  override name = 'ArtifactError';
}

/** A tensor or table does not have the shape a stage boundary expects. */
export class ShapeError extends SortscopeError {
  override readonly exitCode = 4;
  override name = 'ShapeError';
}
