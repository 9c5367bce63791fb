/**
 * The old name of the browser client, kept for one release: import "./realtime.js" instead.
 */
export * from "./realtime.js";
