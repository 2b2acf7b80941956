<%@ page session="false" contentType="text/plain" trimDirectiveWhitespaces="true" %><%
// Answers ?code=N; ?body=1 adds a short body.
response.setStatus(Integer.parseInt(request.getParameter("code")));
response.setHeader("X-Node", System.getProperty("rig.node"));
if (request.getParameter("body") != null) out.print("status body " + request.getParameter("code"));
%>
