// Runs in the page tests/mermaid.py builds: renders every Mermaid block, then writes what was
// drawn into the DOM that --dump-dom prints. Tick positions come from each label's translate().
const blocks = JSON.parse(document.getElementById('blocks').textContent);
mermaid.initialize({startOnLoad: false});
const at = (node) => (node.getAttribute('transform') || '').match(/translate\(([-\d.]+),\s*([-\d.]+)/);
const ticks = (svg, axis) => [...svg.querySelectorAll(`g.${axis} g.label text`)].map(
  (t) => [t.textContent, ...at(t).slice(1).map(Number)]);
(async () => {
  const charts = [];
  for (const [index, code] of blocks.entries()) {
    try {
      const {svg} = await mermaid.render('chart' + index, code);
      const holder = document.createElement('div');
      holder.innerHTML = svg;
      document.getElementById('charts').appendChild(holder);
      const drawing = holder.querySelector('svg');
      charts.push({
        ok: true,
        title: [...drawing.querySelectorAll('g.chart-title text')].map((t) => t.textContent).join(''),
        bars: [...drawing.querySelectorAll('g[class^="bar-plot"] rect')].map((r) =>
          ['x', 'y', 'width', 'height'].map((k) => Number(r.getAttribute(k)))),
        lines: [...drawing.querySelectorAll('g[class^="line-plot"] path')].map((p) =>
          [...p.getAttribute('d').matchAll(/[ML]([-\d.]+),([-\d.]+)/g)].map((m) => [+m[1], +m[2]])),
        x_ticks: ticks(drawing, 'bottom-axis'),
        y_ticks: ticks(drawing, 'left-axis'),
        colours: [...drawing.querySelectorAll('g[class^="line-plot"] path')].map((p) => p.getAttribute('stroke')),
      });
    } catch (error) {
      charts.push({ok: false, error: String(error)});
    }
  }
  document.body.setAttribute('data-charts', JSON.stringify({
    charts, scroll_width: document.documentElement.scrollWidth,
    client_width: document.documentElement.clientWidth}));
})();
