// Starts the NHS design system's components (error summary focus, character counts...).
import { initAll } from "../nhsuk/nhsuk-frontend-10.6.1.min.js";

initAll();
