// Loaded by uncaught_in_load_script.json: line 5 uses an undefined name.
"use strict";

console.log("line 4 runs");
notDefinedAnywhere.call();
