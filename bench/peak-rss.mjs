// Preloaded (`node --import ./bench/peak-rss.mjs …`) into a CLI run by the scale bench: prints the
// process's peak resident set on exit, the figure the bench reports for verify and rebuild.
import { writeSync } from 'node:fs';
import { peakRssKb } from './vm-hwm.mjs';

process.on('exit', () => {
  writeSync(2, `\nPEAK_RSS_KB=${peakRssKb()}\n`);
});
