/** Defaults the light command specs need without loading the experiment machinery. */
export const DEFAULT_STUDY = 'quick';
