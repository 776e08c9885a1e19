/** Defaults the light command specs need without loading the experiment machinery. */
export const DEFAULT_STUDY = 'quick';

/** A study folder's report options (defaults < this file < flags). */
export const REPORT_OPTIONS_FILE = 'report.json';
