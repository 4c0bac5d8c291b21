/** Handlebars (bundled by the build: ./README.md). */
import Handlebars from 'handlebars';

export default Handlebars;
