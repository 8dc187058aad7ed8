// The live dashboard (issue 16 item 8): the services' own metrics over the last hour, scraped by the
// admin (src/metrics/) and polled here every few seconds; plots drawn with uPlot.
import React, { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import { Box, H4, Text } from '@adminjs/design-system';
import { ApiClient } from 'adminjs';
import { formatDateTime } from './dates.jsx';

const COLORS = ['#2e7d32', '#1565c0', '#c62828', '#6a1b9a', '#ef6c00', '#00838f'];
const STYLESHEET_ID = 'tandem-uplot-css';

/** uPlot's stylesheet, served by the admin (src/offline-assets.ts), added once. */
function useUplotStyles() {
  useEffect(() => {
    if (document.getElementById(STYLESHEET_ID)) return;
    const link = document.createElement('link');
    link.id = STYLESHEET_ID;
    link.rel = 'stylesheet';
    link.href = `${ApiClient.getBaseUrl()}/static/uplot/uPlot.min.css`;
    document.head.appendChild(link);
  }, []);
}

const number = (value) =>
  value === null || value === undefined
    ? '–'
    : value.toLocaleString('en', { maximumFractionDigits: value < 10 ? 2 : 0 });

function latest(column) {
  for (let i = column.length - 1; i >= 0; i -= 1) if (column[i] !== null) return column[i];
  return null;
}

/** What the plot shows, in words: counts in the window for counters, the latest value otherwise. */
function summary(plot) {
  const counted = Object.keys(plot.totals).length > 0;
  return plot.series
    .map((name, i) =>
      counted ? `${name}: ${number(plot.totals[name] ?? 0)}` : `${name}: ${number(latest(plot.data[i + 1]))}`,
    )
    .join(' · ')
    .concat(counted ? ' in the last hour' : ' now');
}

const Plot = ({ plot }) => {
  const container = useRef(null);
  const chart = useRef(null);
  const seriesKey = plot.series.join('|');
  useEffect(() => {
    const width = Math.max(container.current.clientWidth, 300);
    chart.current = new uPlot(
      {
        width,
        height: 160,
        series: [
          {},
          ...plot.series.map((name, i) => ({
            label: name,
            stroke: COLORS[i % COLORS.length],
            width: 2,
            value: (_u, value) => `${number(value)} ${plot.unit}`,
          })),
        ],
        axes: [{}, { size: 60 }],
        scales: { x: { time: true } },
        // The time axis in UTC, as every date the admin prints (components/dates.jsx).
        tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC'),
      },
      plot.data,
      container.current,
    );
    return () => chart.current.destroy();
  }, [seriesKey]);
  useEffect(() => {
    chart.current?.setData(plot.data);
  }, [plot]);
  const points = plot.data[0].length;
  return (
    <Box as="figure" mb="lg" data-testid={`plot-${plot.id}`} data-points={points}>
      <Text as="figcaption" fontWeight="bold" mb="sm">
        {plot.title} ({plot.unit})
      </Text>
      <div ref={container} />
      <Text data-testid={`plot-${plot.id}-summary`}>{points === 0 ? 'No data yet.' : summary(plot)}</Text>
    </Box>
  );
};

const ServiceDown = ({ service }) => (
  <Text mb="md" color="error" role="status" data-testid={`metrics-down-${service.name}`}>
    {service.name} is unreachable at {service.url} ({service.error})
    {service.lastRead ? `; last read ${formatDateTime(service.lastRead)}` : ''}. Its plots show a gap until it
    answers again.
  </Text>
);

const LiveMetrics = () => {
  useUplotStyles();
  const [metrics, setMetrics] = useState(null);
  const [problem, setProblem] = useState(null);
  useEffect(() => {
    const api = new ApiClient();
    let timer;
    let stopped = false;
    const poll = async () => {
      let delay = 5000;
      try {
        const response = await api.client.get('/api/metrics');
        setMetrics(response.data);
        setProblem(null);
        delay = response.data.intervalSeconds * 1000;
      } catch (error) {
        setProblem(error.response?.data?.message ?? 'The live metrics could not be loaded.');
      }
      if (!stopped) timer = window.setTimeout(poll, delay);
    };
    poll();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, []);
  return (
    <Box variant="white" mb="xl" data-testid="live-metrics">
      <H4>Live metrics (last hour, times in UTC, updated every {metrics ? metrics.intervalSeconds : 5} s)</H4>
      {problem ? <Text color="error">{problem}</Text> : null}
      {metrics === null ? <Text>Loading…</Text> : null}
      {(metrics?.services ?? [])
        .filter((service) => !service.up)
        .map((service) => (
          <ServiceDown key={service.name} service={service} />
        ))}
      {(metrics?.plots ?? []).map((plot) => (
        <Plot key={plot.id} plot={plot} />
      ))}
    </Box>
  );
};

export default LiveMetrics;
