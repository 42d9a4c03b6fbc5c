/** Stylesheets are imported for their side effect: webpack's native CSS support links them into the page. */
declare module '*.css';
