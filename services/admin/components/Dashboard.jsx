// Django-style admin index: the models this staff member may view with their record counts, their own
// recent actions linked to the records, and (with view_metrics) the live metrics of the services.
import React, { useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { Box, H2, H4, Table, TableBody, TableCell, TableHead, TableRow, Text } from '@adminjs/design-system';
import { ApiClient } from 'adminjs';
import LiveMetrics from './LiveMetrics';
import { formatDateTime } from './dates.jsx';

const EMPTY = { models: [], recent: [], liveMetrics: false };

/** "1,234", or "≈ 1,234,000" for PostgreSQL's estimate of a big table. */
const countText = (model) => `${model.estimated ? '≈ ' : ''}${Number(model.count).toLocaleString('en')}`;

/** "update “Spade” in Products", the title linking to the record while it exists and may be viewed. */
const RecentAction = ({ entry }) => (
  <Text mb="sm" data-testid="recent-action">
    {formatDateTime(entry.createdAt)} — {entry.action}{' '}
    {entry.href ? <Link to={entry.href}>{entry.title}</Link> : `#${entry.recordId}`} in {entry.modelLabel}
  </Text>
);

const Dashboard = () => {
  const [data, setData] = useState(EMPTY);
  useEffect(() => {
    new ApiClient().getDashboard().then((response) => setData(response.data || EMPTY));
  }, []);
  return (
    <Box variant="grey" data-testid="tandem-dashboard">
      {data.liveMetrics ? <LiveMetrics /> : null}
      <Box variant="white" mb="xl">
        <H2>Site administration</H2>
        <Table>
          <TableHead>
            <TableRow>
              <TableCell>Model</TableCell>
              <TableCell>Records</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {data.models.map((model) => (
              <TableRow key={model.id}>
                <TableCell>
                  <Link to={model.href}>{model.label}</Link>
                </TableCell>
                <TableCell
                  data-testid={`count-${model.id}`}
                  title={model.estimated ? 'Estimated by PostgreSQL (large table)' : undefined}
                >
                  {countText(model)}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </Box>
      <Box variant="white">
        <H4>My recent actions</H4>
        {data.recent.length === 0 ? <Text>None yet.</Text> : null}
        {data.recent.map((entry) => (
          <RecentAction key={entry.id} entry={entry} />
        ))}
      </Box>
    </Box>
  );
};

export default Dashboard;
