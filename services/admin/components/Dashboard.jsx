// Django-style admin index: the models this staff member may view, and their own recent actions.
import React, { useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { Box, H2, H4, Table, TableBody, TableCell, TableHead, TableRow, Text } from '@adminjs/design-system';
import { ApiClient } from 'adminjs';

const Dashboard = () => {
  const [data, setData] = useState({ models: [], recent: [] });
  useEffect(() => {
    new ApiClient().getDashboard().then((response) => setData(response.data || { models: [], recent: [] }));
  }, []);
  return (
    <Box variant="grey" data-testid="tandem-dashboard">
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
                <TableCell>{model.count}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </Box>
      <Box variant="white">
        <H4>My recent actions</H4>
        {data.recent.length === 0 ? <Text>None yet.</Text> : null}
        {data.recent.map((entry) => (
          <Text key={entry.id} mb="sm">
            {new Date(entry.createdAt).toLocaleString()} — {entry.action} {entry.model} #{entry.recordId}
          </Text>
        ))}
      </Box>
    </Box>
  );
};

export default Dashboard;
