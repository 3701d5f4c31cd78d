// The entry point: hands the topologies of this deployment to the command line.
import { main } from '../src/cli/main.js';
import { demoTopologies } from '../topologies/demo.js';
import { topologies } from '../topologies/index.js';

await main(process.argv.slice(2), { topologies, demoTopologies });
